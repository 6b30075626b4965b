/**
 * The console's one HTML page: a fixed shell with no data in it. The script (assets/app.js, bundled at
 * `npm run build`) fills it in from the API, setting outside text only as text.
 */
export const CONSOLE_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Quarantine releases</title>
<link rel="stylesheet" href="console/assets/app.css">
<script src="console/assets/app.js" defer></script>
</head>
<body>
<a class="skip" href="#releases-heading">Skip to the releases</a>
<header>
  <h1>Quarantine releases</h1>
  <p class="lead">Who released what, for whom, and what each sender was told.</p>
  <label for="period">Period</label>
  <select id="period" name="period">
    <option value="1">Last 24 hours</option>
    <option value="7">Last 7 days</option>
    <option value="30" selected>Last 30 days</option>
    <option value="90">Last 90 days</option>
    <option value="180">Last 180 days</option>
  </select>
  <p class="tenant-switch" id="tenant-switch" hidden><label for="tenant">Tenant</label>
    <select id="tenant" name="tenant"><option value="" selected>Home tenant</option></select></p>
  <p class="zone"><span id="time-zone" aria-live="polite"></span> <button type="button" id="time-zone-toggle" class="link">Show UTC</button> Downloads are always in UTC.</p>
</header>
<main>
  <section aria-labelledby="fleet-heading" id="fleet-section" hidden>
    <h2 id="fleet-heading">Customer tenants</h2>
    <p>Each customer tenant's health, last runs and the period's releases, failures first. Choose a tenant to open its view.</p>
    <div class="table-wrap">
      <table id="fleet">
        <caption class="visually-hidden">Customer tenants, failures first</caption>
        <thead><tr><th scope="col">Tenant</th><th scope="col">Health</th><th scope="col">Last snapshot</th><th scope="col">Last notify</th><th scope="col">Releases</th><th scope="col">Senders told</th><th scope="col">Failed</th></tr></thead>
        <tbody id="fleet-body"></tbody>
      </table>
    </div>
  </section>
  <section aria-labelledby="health-heading" class="health">
    <h2 id="health-heading">Health</h2>
    <ul id="health" aria-live="polite"><li>Loading…</li></ul>
  </section>
  <section aria-labelledby="tiles-heading">
    <h2 id="tiles-heading">At a glance</h2>
    <ul id="tiles" class="tiles" aria-live="polite"></ul>
  </section>
  <section aria-labelledby="chart-heading">
    <h2 id="chart-heading">Releases per day</h2>
    <div class="chart"><canvas id="chart" role="img" aria-label="Releases per day, stacked by outcome"></canvas></div>
    <ul id="chart-legend" class="legend" aria-label="Outcomes"></ul>
  </section>
  <section aria-labelledby="releases-heading">
    <h2 id="releases-heading" tabindex="-1">Releases</h2>
    <form id="filters" class="filters">
      <div><label for="f-sender">Sender (address or domain)</label><input id="f-sender" name="sender" type="text" autocomplete="off"></div>
      <div><label for="f-releasedBy">Released by</label><input id="f-releasedBy" name="releasedBy" type="text" autocomplete="off"></div>
      <div><label for="f-policy">Policy</label><input id="f-policy" name="policy" type="text" autocomplete="off"></div>
      <div><label for="f-status">Status</label>
        <select id="f-status" name="status">
          <option value="">Any</option>
          <option value="pending">Waiting</option>
          <option value="notified">Notified</option>
          <option value="skipped">Skipped</option>
          <option value="unmatched">Unmatched</option>
          <option value="failed">Failed</option>
        </select></div>
      <div class="actions"><button type="submit">Apply filters</button> <button type="reset">Clear</button>
        <button type="button" id="csv">Download CSV</button> <span id="csv-status" role="status"></span></div>
    </form>
    <p id="count" aria-live="polite"></p>
    <div class="table-wrap">
      <table id="releases">
        <caption class="visually-hidden">Releases of the period; choose a column heading to sort, a subject to see its history.</caption>
        <thead><tr id="releases-head"></tr></thead>
        <tbody id="releases-body"></tbody>
      </table>
    </div>
    <nav class="pager" id="pager" aria-label="Pages" hidden>
      <button type="button" id="first-page">First page</button>
      <button type="button" id="next-page">Next page</button>
    </nav>
  </section>
  <section aria-labelledby="history-heading" id="history-section" hidden>
    <h2 id="history-heading" tabindex="-1">Message history</h2>
    <div id="history"></div>
    <button type="button" id="close-history">Close history</button>
  </section>
</main>
</body>
</html>
`;
