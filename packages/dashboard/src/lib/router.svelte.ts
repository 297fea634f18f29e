/**
 * A hash router (`/_/#/collections?q=x`): the dashboard is one static page, so every screen
 * is a hash path and the server needs no route per screen.
 */
export const route = $state<{ path: string; query: URLSearchParams }>(parse());

function parse(): { path: string; query: URLSearchParams } {
  const hash = location.hash.replace(/^#/, '') || '/';
  const [path = '/', query = ''] = hash.split('?', 2);
  return { path, query: new URLSearchParams(query) };
}

addEventListener('hashchange', () => {
  const next = parse();
  route.path = next.path;
  route.query = next.query;
});

/** Goes to a screen (`navigate('/collections')`). */
export function navigate(path: string): void {
  location.hash = `#${path}`;
}
