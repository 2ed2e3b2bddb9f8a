/**
 * The dashboard's page: plain HTML and CSS, no build step. Its module (`dashboard.js`) fills it
 * from the node API: `nodes.json` names the nodes and the base path of each one's API.
 */

/** `index.html` of the dashboard. */
export const dashboardHtml = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>converge dashboard</title>
<link rel="icon" href="data:,">
<style>
  :root { color-scheme: light dark; font-family: system-ui, sans-serif; font-size: 14px; }
  body { margin: 0; padding: 1rem 1.5rem; background: Canvas; color: CanvasText; }
  h1 { font-size: 1.3rem; margin: 0 0 .8rem; }
  h2 { font-size: 1.05rem; margin: 0 0 .4rem; }
  h3 { font-size: .9rem; margin: .8rem 0 .3rem; text-transform: uppercase; letter-spacing: .04em; opacity: .7; }
  #nodes { display: grid; grid-template-columns: repeat(auto-fill, minmax(22rem, 1fr)); gap: 1rem; }
  .node { border: 1px solid color-mix(in srgb, CanvasText 25%, Canvas); border-radius: 8px; padding: .8rem 1rem; }
  .node.unreachable { opacity: .6; }
  table { border-collapse: collapse; width: 100%; }
  td, th { text-align: left; padding: .15rem .4rem; border-bottom: 1px solid color-mix(in srgb, CanvasText 10%, Canvas); }
  .ok { color: #1a7f37; } .bad { color: #cf222e; } .wait { color: #9a6700; }
  .events { font-family: ui-monospace, monospace; font-size: .8rem; max-height: 12rem; overflow: auto; white-space: pre; }
  #graph { margin-top: 1.2rem; overflow: auto; border: 1px solid color-mix(in srgb, CanvasText 25%, Canvas); border-radius: 8px; padding: .5rem; }
  #graph img { max-width: 100%; height: auto; }
  .muted { opacity: .6; }
</style>
</head>
<body>
<h1>converge <span class="muted" id="summary">connecting…</span></h1>
<div id="nodes"></div>
<section id="graph"><h2>Controller dependencies</h2><div id="graph-image" class="muted">loading…</div></section>
<script type="module" src="dashboard.js"></script>
</body>
</html>
`;
