// Search results for search.html?q=…, from the Pagefind index the build writes into pagefind/.
// Loaded as <script type="module" src="static/search.js"> (an own file: the CSP allows only
// 'self' scripts). Without JavaScript the page keeps its own message and links; without an
// index (Pagefind missing at build time, or the site opened from file://) it says so.
// Needs on the page: #search-status (a message; role="status") and #search-results (a list).

const MAX_RESULTS = 20;

// The index sits at the site root beside static/, so find it from this script's own URL: that
// works wherever the site is hosted (a domain root or any folder below it). It is one or more
// Pagefind bundles (shards of the posts), listed in pagefind/shards.json.
const INDEX = new URL("../pagefind/", import.meta.url);
const SITE_ROOT = new URL("../", import.meta.url).pathname;

// Pagefind with every shard merged in; throws when there is no index.
async function loadIndex() {
  const listing = await fetch(new URL("shards.json", INDEX));
  if (!listing.ok) {
    throw new Error(`no search index (${listing.status})`);
  }
  const { shards } = await listing.json();
  if (shards.length === 0) {
    return { search: async () => ({ results: [] }) }; // a site with no stories yet
  }
  const pagefind = await import(new URL(`${shards[0]}/pagefind.js`, INDEX).href);
  // Result URLs are paths from the site root, wherever the bundles sit below it.
  await pagefind.options({ baseUrl: SITE_ROOT });
  for (const shard of shards.slice(1)) {
    await pagefind.mergeIndex(new URL(`${shard}/`, INDEX).pathname, { baseUrl: SITE_ROOT });
  }
  return pagefind;
}

const status = document.getElementById("search-status");
const list = document.getElementById("search-results");

function say(text) {
  status.textContent = text;
}

// Pagefind's excerpt is HTML: text with <mark> around the matches. Keep exactly that, as nodes
// (a <template> parses without running anything), never as markup.
function excerptNodes(html) {
  const template = document.createElement("template");
  template.innerHTML = html;
  const nodes = [];
  for (const node of template.content.childNodes) {
    if (node.nodeName === "MARK") {
      const mark = document.createElement("mark");
      mark.textContent = node.textContent;
      nodes.push(mark);
    } else {
      nodes.push(document.createTextNode(node.textContent));
    }
  }
  return nodes;
}

function item(data) {
  const li = document.createElement("li");
  const heading = document.createElement("h2");
  const link = document.createElement("a");
  link.href = data.url;
  link.textContent = (data.meta && data.meta.title) || data.url;
  heading.append(link);
  const excerpt = document.createElement("p");
  excerpt.append(...excerptNodes(data.excerpt || ""));
  li.append(heading, excerpt);
  return li;
}

async function run() {
  const query = (new URLSearchParams(window.location.search).get("q") || "").trim();
  for (const input of document.querySelectorAll('input[name="q"]')) {
    input.value = query;
  }
  if (!query) {
    say("Type a word or two to search every story.");
    return;
  }
  document.title = `${query} · ${document.title}`;
  say(`Searching for “${query}”…`);
  let pagefind;
  try {
    pagefind = await loadIndex();
  } catch {
    say("Search is not available on this copy of the site. Browse the latest stories or the topics instead.");
    return;
  }
  const found = await pagefind.search(query);
  const shown = await Promise.all(found.results.slice(0, MAX_RESULTS).map((r) => r.data()));
  list.replaceChildren(...shown.map(item));
  const count = found.results.length;
  if (count === 0) {
    say(`No stories match “${query}”.`);
  } else if (count > shown.length) {
    say(`${count} stories match “${query}”; the first ${shown.length} are shown.`);
  } else {
    say(`${count} ${count === 1 ? "story matches" : "stories match"} “${query}”.`);
  }
}

if (status && list) {
  run().catch((error) => {
    say("Search failed. Browse the latest stories or the topics instead.");
    console.warn("search:", error);
  });
}
