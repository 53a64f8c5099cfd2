// Search results for search.html?q=…, from the Pagefind index the build writes into pagefind/.
// Loaded as <script defer src="static/search.js"> (an own file: the CSP allows only 'self'
// scripts). A classic script, not a module: browsers refuse module scripts on file:// pages, and
// this one has to run there to say that search needs the site served. Without JavaScript the
// page keeps its own message and links; without an index (Pagefind missing at build time) it
// says so. Needs on the page: #search-status (a message; role="status") and #search-results (a
// list).

(() => {
  const MAX_RESULTS = 20;

  // The index sits at the site root beside static/, so find it from this script's own URL: that
  // works wherever the site is hosted (a domain root or any folder below it). It is one or more
  // Pagefind bundles (shards of the posts), listed in pagefind/shards.json.
  const SCRIPT = document.currentScript.src;
  const INDEX = new URL("../pagefind/", SCRIPT);
  const SITE_ROOT = new URL("../", SCRIPT).pathname;

  // One Pagefind bundle, with `others` merged into it.
  async function openBundles(names) {
    const pagefind = await import(new URL(`${names[0]}/pagefind.js`, INDEX).href);
    // Result URLs are paths from the site root, wherever the bundles sit below it.
    await pagefind.options({ baseUrl: SITE_ROOT });
    for (const name of names.slice(1)) {
      await pagefind.mergeIndex(new URL(`${name}/`, INDEX).pathname, { baseUrl: SITE_ROOT });
    }
    return pagefind;
  }

  const NOTHING = { search: async () => ({ results: [] }) };

  // The shards merged, and the delta of pages edited since they were made (see
  // aibot/build/search.py): shard entries listed as hidden are stale, the delta has them new.
  // Returns an object with search(); throws when there is no index.
  async function loadIndex() {
    const listing = await fetch(new URL("shards.json", INDEX));
    if (!listing.ok) {
      throw new Error(`no search index (${listing.status})`);
    }
    const { shards, delta, hidden } = await listing.json();
    const main = shards.length ? await openBundles(shards) : NOTHING;
    // The delta is a bundle of its own (its own module instance), searched beside the shards.
    const fresh = delta ? await openBundles([delta]) : NOTHING;
    const stale = new Set(hidden || []);
    return {
      async search(query) {
        const [old, now] = await Promise.all([main.search(query), fresh.search(query)]);
        const results = old.results.filter((r) => !stale.has(r.id)).concat(now.results);
        results.sort((a, b) => b.score - a.score);
        return { results };
      },
    };
  }

  const status = document.getElementById("search-status");
  const list = document.getElementById("search-results");

  // A browser reads no search index from a file:// page; the site's owner opened it from disk.
  const FROM_DISK =
    "Search needs the site served, not opened as a file: run “aibot serve” and open " +
    "http://127.0.0.1:8000/search.html, or search the site where it is published.";

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
    if (window.location.protocol === "file:") {
      say(FROM_DISK);
      return;
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
})();
