"""Junk: text on a page that is not news, and pages that are nothing else.

Three levels, each recognised by what the text does for the reader rather than by a list of
exact strings:

- Furniture lines (`is_furniture`, `without_furniture`): a call to action addressed to the reader
  ("Sign up for…", "Follow us on…", "Add X as an interest…", "Click here to…"), a credit
  ("Image copyright", "… / Getty Images", "All rights reserved", "(Reporting by …)"), a
  navigation or section label ("Read more:", "Related:", "Advertisement", "Share this article"),
  a share bar ("Facebook Twitter Email"), a widget's text in a caption ("Buy Photo Wait 1 second
  to continue"), or a notice about the site itself ("Your browser does
  not support…"). A sentence that reports something ("More than 2,000 people signed up for the
  trial", "the band asked fans to follow them on Instagram, a spokesman said") is not furniture:
  a call to action is an imperative at the start of the sentence or speaks to "you", never
  names a speaker, and does not report a figure with a verb in the past tense.
- Junk sentences (`junk_kind`): the texts of an error or soft-404 page, a cookie-consent wall, a
  web-archive notice, a social or video widget (tweet embeds, "location history"), a newsletter
  prompt. Each kind needs the reader addressed ("the page you requested", "we use cookies", "your
  inbox"), a phrase only such a notice uses ("donating their crawl data to the Internet
  Archive") or, alone, the page speaking of itself ("This story is no longer available."), so a
  news sentence about a 404 error, an archive or a newsletter survives.
- Junk pages (`junk_reason`): a page whose text, furniture and junk sentences left out, has
  under NEWS_MIN_WORDS words while it holds a junk sentence; or, with under PAGE_NEWS_WORDS
  words left, whose junk outweighs the rest or which opens with an error message (error pages
  show teasers of other stories under it); or whose title is an error title ("Page not found",
  "404 | Outlet") over a text of under PAGE_NEWS_WORDS words.

Text shared across outlets (boilerplate that is not in any of these patterns) is handled by
`aibot.collect.shared`.
"""

from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache

from aibot.support.text import sentences

ERROR_PAGE = "error page"
CONSENT_WALL = "consent wall"
ARCHIVE_NOTICE = "archive notice"
SOCIAL_WIDGET = "social widget"
NEWSLETTER_PROMPT = "newsletter prompt"
FURNITURE = "page furniture"
KINDS = (ERROR_PAGE, CONSENT_WALL, ARCHIVE_NOTICE, SOCIAL_WIDGET, NEWSLETTER_PROMPT)

# Under this many words of news beside a junk sentence, a page is junk.
NEWS_MIN_WORDS = 50
# A page whose junk outweighs its news, that opens with an error message or has an error title,
# is junk under this many words of news.
PAGE_NEWS_WORDS = 150
# A bare label ("Page not found", "Error 404") is a heading only when this short.
LABEL_MAX_WORDS = 8
# A sentence speaking to "you" about the site is furniture only when this short.
NOTICE_MAX_WORDS = 30
# How much of a junk sentence a reason quotes.
QUOTED_CHARS = 60

_I = re.IGNORECASE

# A sentence that names a speaker reports something: it is never furniture or junk. "Added" in
# the passive ("data are added to the archive") names no speaker.
_ATTRIBUTION = re.compile(
    r"\b(said|says|told|tells|according to|announced|reported|wrote|explained|warned|"
    r"(?<!\bis )(?<!\bare )(?<!\bwas )(?<!\bwere )(?<!\bbe )(?<!\bbeen )added|"
    r"urged|asked|admitted|insisted|claimed|argued|noted|stated|testified|ruled|concluded|"
    r"alleged|denied|estimated|revealed|disclosed|acknowledged|conceded|complained)\b",
    _I,
)
# A figure beside a verb in the past tense reports a fact ("Sign-up offers drew 30,000
# readers"): such a sentence is not a call to action even when it opens like one.
_FIGURE = re.compile(r"\d")
_PAST = re.compile(
    r"\b(?!(?:limited|unlimited|related|featured|recommended|sponsored|needed|based|selected|"
    r"requested|added|updated|detailed|curated|delivered|dedicated|personali[sz]ed)\b)"
    r"[a-z]{3,}ed\b|\b(?:was|were|drew|rose|fell|grew|won|lost|made|took|gave|saw|got|went|came|"
    r"left|paid|sold|bought|brought|kept|held|ran|met|spent|led|began|became|found|built)\b"
)
_READER = re.compile(r"\b(you|your|you're|you've|yours)\b", _I)
_WORD = re.compile(r"[\w'’-]+")

# --- furniture ------------------------------------------------------------------------------

# Labels of page parts; as a whole line, or followed by a colon or an arrow and a link text.
_LABELS = (
    r"advertisement|advertising|advert|ad|sponsored(?: content)?|promoted(?: content)?|"
    r"paid (?:content|post|partner)|story continues below(?: advertisement)?|"
    r"(?:article )?continues? (?:reading )?below|related(?: (?:articles?|stories|story|coverage|"
    r"content|posts?|links|topics|videos?|news|reading))?|see also|also read|read also|"
    r"read more|read next|more on this(?: story)?|more from [\w .'’&-]{1,40}|more stories|"
    r"recommended(?: for you)?|trending(?: now)?|most (?:read|popular|viewed|shared|watched)|"
    r"top stories|latest(?: news| stories| videos?)?|you (?:may|might) also like|editor'?s picks|"
    r"further reading|explore more|tags?|topics?|filed under|categories|share(?: this)?"
    r"(?: (?:article|story|page|post|video))?|comments?|(?:show|view|hide|load) comments|"
    r"watch(?: now| live| the video)?|listen(?: now| live)?|live updates|"
    r"skip (?:to (?:main )?content|advert(?:isement)?|ad)|back to top|print(?: this)?"
    r"(?: (?:article|page|story))?|subscribe|sign up|log ?in|sign in|register|"
    r"(?:image|photo|picture|video|media|graphic|audio)(?: (?:caption|copyright|credit|source|"
    r"gallery|embed))?|caption|credit|source|copyright|getty images|file photo|"
    r"(?:story )?highlights|key points|breaking news (?:emails|alerts)"
)
# A label run into the text after it, with no colon: "Story highlights The incident took…",
# "EMBED More News Videos Crowds gathered…", "Breaking News Emails Get breaking news alerts…".
# Case matters, and a capital follows: "Story highlights of the season…" is news.
_RUN_IN_LABEL = re.compile(
    r"^\W*(?:Story [Hh]ighlights|EMBED More News Videos|Breaking News Emails|"
    r"(?:Media|Video|Audio) playback is (?:unsupported|not supported) on your device)"
    r"(?=\s+[\"“‘'(]?[A-Z0-9]|\W*$)"
)
_LABEL_LINE = re.compile(rf"^\W*(?:{_LABELS})\W*$", _I)
_LABEL_PREFIX = re.compile(
    rf"^\W*(?:{_LABELS})\s*(?::|\||»|›|>|→|-{{1,2}}\s)",
    _I,
)
# "Image caption The mayor…", "Image copyright Getty Images": a caption or credit, whole.
_MEDIA_CREDIT = re.compile(
    r"^\W*(?:image|photo|picture|video|media)\s+(?:caption|copyright|credit|source)\b", _I
)
# A video player's close button or a bare "Caption" label run into the caption's text:
# "CLOSE Firefighters battled…", "Caption Wildlife officials said…". Case matters: "Close
# to 300 cars" is news.
_PLAYER_LABEL = re.compile(r"^\W*(?:CLOSE|Caption)\s+[\"'“‘(]?[A-Z0-9]")
# A video or photo gallery's controls run into the text after them ("1 of 10 Full Screen
# Autoplay Close Skip Ad × The moment … View Photos Wildlife officials said…"): two controls or
# more, one of them a gallery's own (a counter, "Full Screen", "Autoplay", "Skip Ad"), then
# optionally the gallery's title up to "View Photos". Case matters: "Play resumed…" is news.
_CONTROL = (
    r"\d{1,3}\s+of\s+\d{1,3}|Full\s?[Ss]creen|FULL\s?SCREEN|Autoplay|AUTOPLAY|Skip\s+Ad|SKIP\s+AD|"
    r"Close|CLOSE|Replay|Play|Pause|Mute|Unmute|Next|Previous|Prev|[×✕]"
)
_GALLERY_CONTROL = re.compile(r"\d\s+of\s+\d|screen|autoplay|skip\s+ad", _I)
_WIDGET = re.compile(
    rf"^\W*(?:(?:{_CONTROL})(?:\s+|$)){{2,}}"
    r"(?:[^.!?]{1,200}?\s(?:View|See)\s+(?:All\s+)?(?:Photos|Gallery|Images|Video)(?:\s+|$))?"
)
# An imperative addressed to the reader at the start of a sentence.
_CALL_TO_ACTION = re.compile(
    r"^\W*(?:please\s+|don'?t forget to\s+|be sure to\s+|why not\s+)?(?:"
    r"sign ?up\b|sign in\b|log ?in\b|subscribe\b|register (?:now|today|for free|here|to)\b|"
    r"follow (?:us|me|@\w+|[\w.'’ ]{1,40} on (?:twitter|x|facebook|instagram|tiktok|linkedin|"
    r"youtube|threads|bluesky|mastodon|snapchat|whatsapp|telegram))\b|"
    r"like us on\b|join (?:us|our|the conversation|the discussion)\b|"
    r"click (?:here|to|on|the|below|this|through)\b|tap (?:here|to|on|the)\b|"
    r"share (?:this|it|on|via|with|your)\b|"
    r"download (?:our|the|now)\b|get (?:our|the latest|the best|breaking|unlimited|full access|"
    r"the app|the free|exclusive|more)\b|"
    r"read (?:more(?! than)|the full|our|next|the original|or share this)\b|"
    r"watch (?:more|our|live|now|the (?:full|latest|video))\b|listen (?:to (?:our|the full|the "
    r"latest)|now|live)\b|learn more\b|find out more\b|see (?:more|all|also|our)\b|"
    r"view (?:more|all|gallery|comments|the gallery|our)\b|enter your\b|"
    r"add [^.?!]{1,60} as an interest\b|email us\b|contact us\b|send us\b|tell us\b|"
    r"let us know\b|write to us\b|have (?:a|your) (?:tip|story|say)\b|got a (?:tip|story)\b|"
    r"support (?:our|independent|quality)\b|donate (?:now|today|here|to (?:us|our))\b|"
    r"become a (?:member|subscriber|patron|supporter)\b|don'?t miss\b|never miss\b|"
    r"stay (?:up to date|up-to-date|informed|in the know|connected|tuned)\b|keep up with\b|"
    r"catch up (?:on|with) (?:the latest|all)\b|start your free\b|continue reading\b|"
    r"scroll (?:down|up|to)\b|skip (?:to|ad|advert|this)\b|enable javascript\b|"
    r"update your browser\b|(?:turn off|disable) your ad ?blocker\b|"
    r"allow (?:cookies|notifications)\b|report (?:an?|this) (?:error|typo|ad|comment)\b|"
    r"leave a comment\b|post a comment\b|pin it\b|print (?:this|article|page)\b|"
    r"bookmark\b|save (?:this|for later|article)\b|explore (?:more|our)\b)",
    _I,
)
# "Interested in Donald Trump?", "Enjoyed this article?": a widget's question to the reader.
_READER_QUESTION = re.compile(
    r"^\W*(?:interested in [^?]{1,60}|want (?:more|to read more)[^?]{0,40}|"
    r"(?:like|liked|enjoy|enjoyed|love|loved) (?:this|that|our|what you (?:read|see))"
    r"[^?]{0,40}|got a (?:tip|story|question)[^?]{0,40}|have your say[^?]{0,40})\?$",
    _I,
)
# Credits and rights notices: at the start of a sentence, or anywhere in it.
_CREDIT_START = re.compile(
    r"\W*(?:©|\(c\)\s*\d{4}|copyright\s*(?:©\s*)?(?:\d{4}|\(c\)|by|[A-Z][\w.]+\s+\d{4})|"
    r"\((?:reporting|writing|additional reporting|editing|compiled) by\b|"
    r"(?:reporting|writing) by [^.;]{1,80};\s*editing by\b|"
    r"this (?:article|story|piece|post) (?:was |is )?(?:originally |first )?(?:published|appeared)"
    r" (?:on|in|by|at)\b|the post .{1,200} appeared first on\b|"
    r"this (?:article|story|piece) (?:appears|appeared|will appear) in the .{1,40} (?:issue|"
    r"edition) of\b|"
    r"(?:photo(?:graph)?|image|picture|illustration|video|graphic)s?\s*(?:credit|by)?\s*:|"
    r"pictured\s*:)",
    _I,
)
_CREDIT = re.compile(
    r"\ball rights reserved\b|\bmay not be (?:published|reproduced|broadcast|rewritten|"
    r"redistributed|copied)\b|\btrust principles\b|\bread the original article\b|"
    r"\bfor your personal,? non-?commercial use\b|\border (?:presentation-ready )?reprints\b",
    _I,
)
# "Chip Somodevilla/Getty Images", "AFP via Getty Images", "(Reuters)": a credit line alone.
# Each name before the agency ends in a separator, so a line splits into names one way only (an
# optional separator let "AAAA…" split in n^5 ways: a feed's headline could stall a run).
_AGENCY_CREDIT = re.compile(
    r"^\W*(?:[A-Z][\w'’.-]*[\s/|,]+){0,5}(?:via\s+)?(?:Getty Images|AFP|AP|Reuters|EPA|EPA-EFE|"
    r"Shutterstock|Alamy|PA Media|PA Wire|Bloomberg|AAP|Xinhua)(?:\s*(?:/|via)\s*(?:Getty Images|"
    r"AFP|AP|Reuters|EPA|Shutterstock|Alamy|PA Media|PA Wire|Bloomberg))*\W*$"
)
# A photo or video widget's text inside a caption or an embed line: "Jo Lee/AP Buy Photo Wait 1
# second to continue.", "Embed Crowds gather 2:25 autoplay Copy this code to your website or
# blog". Case matters for "Buy Photo": "fans queued to buy photo books" is news.
_WIDGET_TEXT = re.compile(
    r"\bBuy Photo\b|\b[Ww]ait \d+ seconds? to continue\b|"
    r"\b[Cc]opy (?:this|the) (?:embed )?code to your (?:website|site|blog)\b"
)
# Words of a share bar: a line made only of these is one.
_SHARE_WORDS = frozenset(
    """share shares sharing tweet retweet pin email e-mail mail facebook twitter x whatsapp
    linkedin pinterest reddit messenger telegram flipboard tumblr sms copy link print comment
    comments save bluesky threads""".split()
)
# A short sentence speaking to "you" about the site, the page or a sign-up.
_SITE_NOTICE = re.compile(
    r"\b(?:newsletters?|inbox|e-?mail address|javascript|ad ?blocker|(?:this|our) (?:site|website)|"
    r"terms (?:of use|of service|and conditions)|privacy (?:policy|notice|statement)|"
    r"our journalism)\b",
    _I,
)
_THANKS = re.compile(
    r"^\W*thanks?(?: you)? for (?:subscribing|signing up|registering|reading|your interest|"
    r"your feedback|visiting)\b|\bwe(?:'d| would)? (?:love|like|want) to hear from you\b",
    _I,
)
# "Published 3 hours ago", "Updated: 10:15 GMT, 4 March 2026": a time stamp line.
_STAMP = re.compile(
    r"^\W*(?:published|updated|last (?:updated|modified)|posted|first published)\b[\w ,:./-]{0,40}"
    r"(?:\bago|\bgmt|\butc|\bet|\bbst|\bcet|\bam|\bpm|\d{4})\W*$",
    _I,
)


# "March 10, 2012 10:54 am ET by Desk Staff", "12 March 2026 | 09:15": a date line, its time
# and a byline at most.
_MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]{0,6}\.?"
_DATE_LINE = re.compile(
    rf"^\W*(?:{_MONTH}\s+\d{{1,2}},?\s+\d{{4}}|\d{{1,2}}\s+{_MONTH}\s+\d{{4}})"
    r"[\s,|•·-]*(?:\d{1,2}[:.]\d{2}\s*(?:[ap]\.?m\.?)?\s*(?:[A-Z]{2,4}\b)?)?"
    r"[\s,|•·-]*(?:by\s+[A-Z][\w.'’-]*(?:\s+[A-Z][\w.'’-]*){0,3})?\W*$",
    _I,
)


def is_furniture(sentence: str) -> bool:
    """Whether a sentence, headline or line is page furniture or a junk text, not news."""
    return _kind(" ".join(sentence.split())) is not None


@lru_cache(maxsize=8192)
def _kind(line: str) -> str | None:
    """The junk kind of a whitespace-normalised sentence, FURNITURE, or None for news (cached:
    extraction, junk_reason and the writer ask about the same sentences)."""
    if not line:
        return None
    return _junk_kind(line) or (FURNITURE if _furniture(line) else None)


def _furniture(line: str) -> bool:
    """Whether a line is a label, a caption or credit, a share bar, a call to action, a question
    to the reader or a notice about the site (see the module docstring)."""
    size = len(line.split())
    if _LABEL_LINE.match(line) or _MEDIA_CREDIT.match(line) or _STAMP.match(line):
        return True
    if _DATE_LINE.match(line):
        return True
    if _PLAYER_LABEL.match(line):
        return True
    rest = without_widget(line)
    if rest != line:  # a label or a gallery's controls run into the text: judge what follows
        return not rest or _kind(rest) is not None
    tokens = [t.lower() for t in _WORD.findall(line)]
    if tokens and all(t in _SHARE_WORDS for t in tokens):
        return True
    if size <= LABEL_MAX_WORDS and _AGENCY_CREDIT.match(line):
        return True
    if _LABEL_PREFIX.match(line):
        return True
    if _WIDGET_TEXT.search(line):
        return True
    credit = _CREDIT_START.match(line) or _CREDIT.search(line)
    if _ATTRIBUTION.search(line):
        return bool(credit and size <= NOTICE_MAX_WORDS)
    if credit or _READER_QUESTION.match(line):
        return True
    if _CALL_TO_ACTION.match(line):
        return not (_FIGURE.search(line) and _PAST.search(line))
    if _THANKS.search(line):
        return True
    return size <= NOTICE_MAX_WORDS and bool(_READER.search(line) and _SITE_NOTICE.search(line))


def without_widget(sentence: str) -> str:
    """`sentence` without a video or photo gallery's controls at its start ("1 of 10 Full
    Screen Autoplay Close Skip Ad × … View Photos") or a label run into it ("Story highlights
    The ferry…", "Media playback is unsupported on your device …"); "" when that is all there
    is."""
    label = _RUN_IN_LABEL.match(sentence)
    if label is not None:
        sentence = sentence[label.end() :].strip()
    match = _WIDGET.match(sentence)
    if match is None or not _GALLERY_CONTROL.search(match.group(0)):
        return sentence
    return sentence[match.end() :].strip()


def without_furniture(text: str) -> str:
    """`text` without its furniture: whole lines, and furniture sentences inside paragraphs."""
    kept, removed = [], False
    for raw in text.split("\n"):
        line = " ".join(raw.split())
        if not line:
            kept.append("")
            continue
        # A caption goes whole ("Image caption The mayor … . She cut the ribbon."); anything
        # else sentence by sentence, so that one junk phrase never takes a paragraph with it.
        parts = [line] if _MEDIA_CREDIT.match(line) else sentences(line)
        news = [n for n in map(without_widget, parts) if n and not is_furniture(n)]
        if news == parts:
            kept.append(raw)
        else:
            removed = True
            if news:
                kept.append(" ".join(news))
    if not removed:
        return text
    return re.sub(r"\n{3,}", "\n\n", "\n".join(kept)).strip()


# --- junk sentences -------------------------------------------------------------------------

_ERROR_CORE = re.compile(
    r"\b(?:page|file|article|story|content|url|link|post|resource|video)s? (?:you (?:are|were|'re)"
    r" (?:looking for|trying to (?:reach|access|find|view))|you requested|requested)\b|"
    r"\b(?:not|no longer|n't) be found\b|\bnot found\b|\b(?:can'?t|cannot|could ?n[o']t) "
    r"(?:find|locate) (?:the|that|this|what|it|any)\b|\b(?:doesn'?t|does not|no longer|did not) "
    r"exists?\b|\bno longer available\b|\b(?:is )?(?:currently )?unavailable\b|"
    r"\b(?:has|have|may have|might have|could have) (?:been )?(?:moved|removed|deleted|renamed|"
    r"taken down|expired)\b|\bbroken (?:link|url)\b|\bmis-?(?:typed|spelt|spelled)\b|"
    r"\b(?:error|http|status)\s*40[134]\b|\b40[134] (?:error|not found|forbidden|page)\b|"
    r"\b(?:something (?:has )?gone|something went|went) wrong\b|"
    r"\b(?:try (?:searching|a search|our search|the search|one of these)|"
    r"(?:return|go|head|get)(?: back)? to (?:the|our) (?:home ?page|front page|main page)|"
    r"check the (?:url|address|spelling|link))\b",
    _I,
)
# The page speaking of itself ("This story is no longer available.", "This video has been
# removed."): an expired article served as a page, without an apology or the reader addressed.
_THIS_ITEM_GONE = re.compile(
    r"^\W*this (?:page|article|story|video|clip|content|link|post|gallery|item) (?:is no longer "
    r"available|is (?:currently )?unavailable|(?:has|may have) (?:been )?(?:removed|deleted|"
    r"taken down|moved|archived)|(?:has|may have) expired)(?: (?:or (?:has )?(?:been )?"
    r"(?:removed|deleted|moved|expired)))?(?: by (?:the|its) (?:publisher|author|owner|uploader|"
    r"user|site))?\W*$",
    _I,
)
_APOLOGY = re.compile(
    r"\b(?:sorry|oops|whoops|uh[- ]oh|unfortunately|apologi[sz]e|we (?:can'?t|cannot|could ?n[o']t|"
    r"were unable|are unable|'re unable)|please|home ?page|front page)\b|^\W*(?:error|hmm+)\b",
    _I,
)
# "Page not found" in the languages of European news sites.
_NOT_FOUND_ELSEWHERE = (
    r"seite nicht gefunden|page (?:non )?introuvable|p[áa]gina no encontrada|pagina non trovata|"
    r"pagina niet gevonden|p[áa]gina n[ãa]o encontrada|sidan (?:hittades inte|finns inte)|"
    r"siden (?:blev ikke fundet|finnes ikke)|sivua ei löytynyt|strona nie (?:została znaleziona|"
    r"istnieje)|stránka nenalezena|oldal nem található"
)
_ERROR_LABEL = re.compile(
    # A status code is a label only beside error words or alone ("Error 404", "404 Not Found",
    # "404"); "Notice 404 about the tides" is not an error page.
    r"\b(?:(?:error|http)\s*(?:40[134]|410|500)|(?:40[134]|410|500)\s*(?:error|not found|"
    r"forbidden|gone|unauthori[sz]ed)|^\W*(?:40[134]|410|500)\W*$|"
    r"page (?:not found|unavailable|missing|cannot be found)|"
    rf"not found|error|oops|no results found|nothing (?:was )?found|content unavailable|"
    rf"{_NOT_FOUND_ELSEWHERE})\b",
    _I,
)
# Cookies as a site's consent notice speaks of them, not as biscuits.
_CONSENT_CONTEXT = re.compile(
    r"\b(?:use|uses|using|accept|reject|allow|block|manage|store|set|decline)\s+(?:of\s+)?(?:all\s+|"
    r"optional\s+|our\s+|these\s+|third-party\s+|strictly necessary\s+|tracking\s+|analytics\s+|"
    r"advertising\s+)?cookies\b|\bcookies? (?:policy|settings|preferences|notice|consent|banner)\b|"
    r"\bcookies (?:to|and similar|on (?:this|our))\b|\bconsent\b|"
    r"\bwe and our (?:\d+ )?(?:partners|vendors)\b|"
    r"\bprivacy (?:settings|choices|preferences|policy|centre|center)\b|"
    r"\bstore and/or access information\b|\blegitimate interest\b|\bpersonali[sz]ed (?:ads|"
    r"advertising|content)\b|\bmanage (?:your )?(?:preferences|settings|choices|options)\b|"
    r"\btracking technolog",
    _I,
)
_CONSENT_VOICE = re.compile(
    r"\b(?:we|our|us|you|your|you're)\b|^\W*(?:accept|reject|decline|allow|manage|customi[sz]e|"
    r"agree|i agree|ok|got it|continue)\b|\bby (?:continuing|clicking|using|browsing|"
    r"proceeding)\b",
    _I,
)
_ARCHIVE = re.compile(
    r"\bcrawl(?:s| data)\b.{0,120}\b(?:archive|wayback|alexa)|\b(?:these|this|our) crawls?\b|"
    r"\bcrawls of supported\b|\b(?:these|our) archived (?:pages|copies)\b|"
    r"\bbroken links on the web\b|\b(?:captured|saved|archived) from the live web\b|"
    r"\b(?:added to|captured by|saved (?:in|to)) the wayback machine\b|"
    r"\bwayback machine after an embargo\b|\balexa internet\b.{0,80}\bcrawl|"
    r"\barchive(?:d)? (?:the )?pages? (?:as they are created|that they refer)|"
    r"\b(?:this|the) (?:page|article|story|content|post|site) (?:is|has been|was) (?:archived|"
    r"no longer (?:being )?(?:updated|maintained))\b|\bthis is an archived "
    r"(?:page|article|story|copy|version|site)\b|\bthis (?:article|story|page|post) is "
    r"(?:more than|over) [\w-]+ (?:years?|months?) old\b|\b(?:is|are) no longer (?:being )?"
    r"(?:updated|maintained)\b|\bfrom (?:our|the) archives?:|\barchived (?:content|page|copy|"
    r"version|snapshot)s? (?:may|might|is|are)\b",
    _I,
)
_SOCIAL = re.compile(
    r"\btweet (?:with a )?location\b|\byour (?:tweet )?location (?:history|information)\b|"
    r"\blocation information to your tweets\b|\badd (?:this )?tweet to your (?:website|site)\b|"
    r"\bembed (?:this|the) (?:tweet|post|video|code)\b|\b(?:view|see) this post on "
    r"(?:instagram|facebook|tiktok|threads)\b|\ba post shared by\b|\bpic\.twitter\.com/|"
    r"\btwitter\.com/\w+/status\b|—\s*[^—()]{1,60}\(@\w+\)\s+\w+ \d{1,2},? \d{4}|"
    r"\bwhen you see a tweet you love\b|\btimeline is where you\b|\btap the heart\b|"
    r"\btwitter (?:may be|is) over capacity\b|"
    r"\b(?:javascript|js) is (?:disabled|not available|required|turned off)\b|"
    r"\byour browser (?:does not|doesn'?t|is not|isn'?t) support|\binteractive transcript "
    r"could not be loaded\b|\brating is available when the video has been rented\b|"
    r"\bthis (?:feature|video|content|media) (?:is|isn'?t|is not) (?:not )?(?:available|"
    r"unavailable) (?:right now|in your)\b|"
    r"\bthis (?:video|media|embed|tweet|post) (?:is|has been) (?:unavailable|removed|deleted)\b|"
    r"\bplease try again later\b|\blearn more about (?:your|twitter|tweet|instagram)\b|"
    r"\bdon'?t fret\b|\bgive it another shot\b|\bfollow @\w+\b|\bcopy (?:the )?(?:code|link) "
    r"below\b",
    _I,
)
_NEWSLETTER = re.compile(
    r"\b(?:sign(?:ing)? ?up|subscribe|subscribing|register|registering) (?:for|to) (?:our|the|"
    r"my|this|a free)\b[^.]{0,25}\b(?:newsletters?|briefings?|bulletins?|digests?|e-?mails?|"
    r"updates|alerts|list)\b|\b(?:delivered |sent |straight |directly |right )?(?:to|in|into) "
    r"your inbox\b|\benter (?:your|a valid) e-?mail\b|\binvalid e-?mail\b|\bthanks?(?: you)? "
    r"for (?:subscribing|signing up)\b|\bby (?:signing up|subscribing|registering|"
    r"submitting),? you (?:agree|consent|acknowledge)\b|\bwe have more newsletters\b|"
    r"\bcould not subscribe\b|\byou(?:'re| are) (?:all set|now subscribed|on the list|"
    r"subscribed)\b|\b(?:our|this|free|daily|weekly) newsletters?\b.{0,60}\b(?:you|your)\b|"
    r"\b(?:you|your)\b.{0,60}\bnewsletters?\b|\bsee our privacy (?:notice|policy)\b|"
    r"\bunsubscribe at any time\b",
    _I,
)


def junk_kind(sentence: str) -> str | None:
    """The kind of junk text a sentence belongs to (see KINDS), or None for anything else."""
    kind = _kind(" ".join(sentence.split()))
    return kind if kind in KINDS else None


def _junk_kind(line: str) -> str | None:
    if _ATTRIBUTION.search(line):
        return None
    size = len(line.split())
    if size <= LABEL_MAX_WORDS and _ERROR_LABEL.search(line) and not _reads_as_news(line):
        return ERROR_PAGE
    if (_READER.search(line) or _APOLOGY.search(line)) and _ERROR_CORE.search(line):
        return ERROR_PAGE
    if size <= NOTICE_MAX_WORDS and _THIS_ITEM_GONE.match(line):
        return ERROR_PAGE
    if _CONSENT_CONTEXT.search(line) and _CONSENT_VOICE.search(line):
        return CONSENT_WALL
    if _ARCHIVE.search(line):
        return ARCHIVE_NOTICE
    if _SOCIAL.search(line):
        return SOCIAL_WIDGET
    if _NEWSLETTER.search(line):
        return NEWSLETTER_PROMPT
    return None


def _reads_as_news(line: str) -> bool:
    """A short line with a verb in the past tense, or a figure besides an error code, is a
    headline about an error ("Tax site showed 404 errors for six hours"), not a label."""
    if re.search(r"\b\w+ed\b", line) and not re.search(r"\b(?:requested|expected)\b", line, _I):
        return True
    return bool(re.search(r"\b(?!40[134]\b|410\b|500\b)\d+\b", line))


# --- junk pages -----------------------------------------------------------------------------

# A title (or one part of it: "Page not found | Outlet") that names an error and nothing else.
_ERROR_TITLE = re.compile(
    r"(?:error\s*)?(?:40[134]|410|500)(?:\s*(?:error|gone|not found|page not found|forbidden|"
    r"page))?|(?:error\s*)?(?:page|file|content|article|story) (?:not found|cannot be found|"
    r"could not be found|unavailable|missing|doesn'?t exist|does not exist|error)|not found|"
    rf"oops|whoops|sorry|error|nothing found|something went wrong|{_NOT_FOUND_ELSEWHERE}",
    _I,
)
_TITLE_PARTS = re.compile(r"\s+[|–—-]\s+|:\s+")


def _error_title(title: str) -> bool:
    parts = _TITLE_PARTS.split(" ".join(title.split()))
    return any(_ERROR_TITLE.fullmatch(p.strip(" !.?…'\"")) for p in parts)


def junk_reason(text: str, title: str = "") -> str | None:
    """Why the page with this text and title is junk, not news (kind: "quoted sentence"), or None.

    See the module docstring for the rule.
    """
    counts: Counter[str] = Counter()
    first: dict[str, str] = {}
    news_words = 0
    opening = None  # the kind of the text's first sentence
    for line in text.split("\n"):
        line = " ".join(line.split())
        if not line:
            continue
        for sentence in sentences(line):
            kind = _kind(" ".join(sentence.split()))
            if not counts and not news_words:
                opening = kind
            size = len(sentence.split())
            if kind is None:
                news_words += size
                continue
            counts[kind] += size
            first.setdefault(kind, sentence)
    junk = {k: v for k, v in counts.items() if k != FURNITURE}
    if title and _error_title(title) and news_words < PAGE_NEWS_WORDS:
        return f"{ERROR_PAGE}: title {_quoted(title)}"
    if not junk:
        return None
    kind = max(junk, key=lambda k: (junk[k], -KINDS.index(k)))
    if news_words < NEWS_MIN_WORDS or (
        (sum(junk.values()) >= news_words or opening == ERROR_PAGE) and news_words < PAGE_NEWS_WORDS
    ):
        return f"{kind}: {_quoted(first[kind])}"
    return None


def _quoted(sentence: str) -> str:
    line = " ".join(sentence.split())
    if len(line) > QUOTED_CHARS:
        line = line[: QUOTED_CHARS - 1].rsplit(" ", 1)[0] + "…"
    return f"“{line}”"
