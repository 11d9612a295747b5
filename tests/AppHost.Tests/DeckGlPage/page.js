// Maps as CARTO's users write them: deck.gl's VectorTileLayer over @carto/api-client's vectorTableSource, and its
// spatial-index layers (QuadbinTileLayer, ClusterTileLayer, HeatmapTileLayer) over a quadbinTableSource binning a
// table's points into cells, with only apiBaseUrl pointing at the platform. The test calls window.drawTable or
// window.drawCells and reads what it resolves to.
import { Deck } from '@deck.gl/core';
import { ClusterTileLayer, HeatmapTileLayer, QuadbinTileLayer, VectorTileLayer } from '@deck.gl/carto';
import { quadbinTableSource, vectorTableSource } from '@carto/api-client';
import { MVTLoader } from '@loaders.gl/mvt';

const fill = [220, 20, 60];

window.drawTable = ({ apiBaseUrl, accessToken, tableName, probes, probeHalfSize }) => draw({ probes, probeHalfSize }, (errors, onViewportLoad) => new VectorTileLayer({
  id: 'table',
  data: source(vectorTableSource({ apiBaseUrl, accessToken, connectionName: 'carto_dw', tableName }), errors),
  getFillColor: fill,
  pointRadiusUnits: 'pixels',
  getPointRadius: 2,
  // The layer's default loader only hands tiles to a worker, which loaders.gl fetches from a CDN: parse them on
  // the main thread instead.
  loaders: [MVTLoader],
  loadOptions: { worker: false },
  onTileError: (error) => errors.push(`tile: ${error?.message ?? error}`),
  onViewportLoad,
}));

// The layers of cells, each as its docs show it, all over the same source; the heatmap has no colour of its own to look
// for, so what it drew is every pixel it painted.
const cellLayers = {
  quadbin: (props) => new QuadbinTileLayer({ ...props, getFillColor: fill }),
  clusters: (props) => new ClusterTileLayer({
    ...props,
    getWeight: (cell) => cell.properties.count,
    getFillColor: fill,
    pointRadiusUnits: 'pixels',
    getPointRadius: 6,
  }),
  heatmap: (props) => new HeatmapTileLayer({ ...props, getWeight: (cell) => cell.properties.count }),
};

window.drawCells = ({ layer, apiBaseUrl, accessToken, tableName, probes, probeHalfSize }) => draw({ probes, probeHalfSize }, (errors, onViewportLoad) => cellLayers[layer]({
  id: layer,
  data: source(quadbinTableSource({
    apiBaseUrl, accessToken, connectionName: 'carto_dw', tableName,
    // A geometry column: the platform bins its points into cells as it makes each tile.
    spatialDataColumn: 'geom',
    aggregationExp: 'count(*) AS count',
  }), errors),
  // The spatial tiles' loader runs on the main thread too (its worker would come from a CDN).
  loadOptions: { worker: false },
  onTileError: (error) => errors.push(`tile: ${error?.message ?? error}`),
  onViewportLoad,
}), layer === 'heatmap' ? anyColour : fillColour);

function source(promise, errors) {
  promise.catch((error) => errors.push(`source: ${error.message}`));
  return promise;
}

// One layer over the world at zoom 1, measured (where: its probes and their size) once its viewport's tiles are drawn.
function draw(where, makeLayer, isDrawn = fillColour) {
  return new Promise((resolve) => {
    const errors = [];
    const deck = new Deck({
      parent: document.getElementById('map'),
      width: 1024,
      height: 640,
      initialViewState: { longitude: 10, latitude: 25, zoom: 1 },
      layers: [
        makeLayer(errors, (tiles) => {
          // The tiles are drawn on the next frame; the drawing buffer is kept (deck's default), so it can be read then.
          requestAnimationFrame(() => requestAnimationFrame(() => resolve(measure(deck, tiles, errors, where, isDrawn))));
        }),
      ],
      onError: (error) => errors.push(`deck: ${error.message}`),
    });
  });
}

// Whether a pixel (red, green, blue, alpha) is the layer's: of its colour, or of any.
function fillColour(r, g, b, a) {
  return a > 0 && Math.abs(r - fill[0]) < 40 && g < 80 && b < 120;
}

function anyColour(r, g, b, a) {
  return a > 0;
}

// What was drawn: the points the viewport's tiles hold, and the pixels the layer drew (isDrawn), over the whole canvas
// and within probeHalfSize CSS pixels of each probe (a longitude and latitude).
function measure(deck, tiles, errors, { probes, probeHalfSize }, isDrawn) {
  const canvas = document.querySelector('#map canvas');
  const copy = document.createElement('canvas');
  copy.width = canvas.width;
  copy.height = canvas.height;
  const context = copy.getContext('2d');
  context.drawImage(canvas, 0, 0);
  const pixels = context.getImageData(0, 0, copy.width, copy.height).data;
  const ratio = canvas.width / canvas.clientWidth;
  const isFill = (x, y) => {
    const i = (y * copy.width + x) * 4;
    return isDrawn(pixels[i], pixels[i + 1], pixels[i + 2], pixels[i + 3]);
  };
  const count = (left, top, right, bottom) => {
    let n = 0;
    for (let y = Math.max(0, top); y < Math.min(copy.height, bottom); y++) {
      for (let x = Math.max(0, left); x < Math.min(copy.width, right); x++) n += isFill(x, y) ? 1 : 0;
    }
    return n;
  };
  const viewport = deck.getViewports()[0];
  const around = Object.fromEntries(Object.entries(probes).map(([name, lngLat]) => {
    const [x, y] = viewport.project(lngLat).map((v) => Math.round(v * ratio));
    const half = Math.round(probeHalfSize * ratio);
    return [name, count(x - half, y - half, x + half, y + half)];
  }));
  // A vector tile's points, or the rows a spatial tile's cells count.
  const points = tiles.reduce((sum, tile) => {
    if (Array.isArray(tile.content)) {
      return sum + tile.content.reduce((rows, cell) => rows + cell.properties.count, 0);
    }
    const positions = tile.content?.points?.positions;
    return sum + (positions ? positions.value.length / positions.size : 0);
  }, 0);
  return {
    tiles: tiles.length,
    cells: tiles.reduce((sum, tile) => sum + (Array.isArray(tile.content) ? tile.content.length : 0), 0),
    points,
    filledPixels: count(0, 0, copy.width, copy.height),
    pixels: copy.width * copy.height,
    around,
    errors,
  };
}
