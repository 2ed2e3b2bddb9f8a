/**
 * The dashboard's static files by name, with their content types; `nodes.json` is written by
 * whoever serves the page (a node names itself, `converge dashboard` names every node).
 */
import { dashboardHtml } from './dashboard-page.js';
import { dashboardScript } from './dashboard-script.js';

/** One node as the dashboard reaches it: its name and the base path of its API on the page's origin. */
export interface DashboardNode {
  readonly name: string;
  readonly base: string;
  /**
   * The path of a multiplexed stream endpoint the node's live streams go through (one browser
   * connection for many streams); absent: the page follows each stream with its own request.
   */
  readonly live?: string;
}

/** The content type and text of a dashboard file. */
export function dashboardAsset(
  file: 'index.html' | 'dashboard.js' | 'nodes.json',
  nodes: readonly DashboardNode[],
): readonly [string, string] {
  if (file === 'index.html') return ['text/html; charset=utf-8', dashboardHtml];
  if (file === 'dashboard.js') return ['text/javascript; charset=utf-8', dashboardScript];
  return ['application/json', JSON.stringify(nodes)];
}
