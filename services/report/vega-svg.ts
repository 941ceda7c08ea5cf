/**
 * Vega-Lite spec → standalone SVG string, offline and headless: vega's View with the 'none'
 * renderer needs no canvas and no DOM (text widths are estimated). vega and vega-lite ship as ES
 * modules only and vega-canvas (which vega loads) uses top-level await, so they cannot be
 * require()d from this CommonJS project: they are loaded with a real dynamic import(), once (tsx,
 * which runs everything here, leaves import() as it is in CommonJS output).
 */
// Types only (erased at run time): moduleResolution node10 cannot see through vega-lite's
// `exports`, so its declarations are named by path.
import type * as VegaLite from 'vega-lite/build/index';

export type FigureSpec = VegaLite.TopLevelSpec;

interface Libraries {
  readonly vega: typeof import('vega');
  readonly vegaLite: typeof VegaLite;
}

let libraries: Promise<Libraries> | undefined;

function load(): Promise<Libraries> {
  libraries ??= Promise.all([import('vega'), import('vega-lite' as string) as Promise<typeof VegaLite>]).then(
    ([vega, vegaLite]) => ({ vega, vegaLite }),
  );
  return libraries;
}

export async function renderSvg(spec: FigureSpec): Promise<string> {
  const { vega, vegaLite } = await load();
  const view = new vega.View(vega.parse(vegaLite.compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
