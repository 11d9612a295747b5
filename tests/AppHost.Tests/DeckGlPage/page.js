// Maps as CARTO's users write them: deck.gl's VectorTileLayer over @carto/api-client's vectorTableSource, and its
// QuadbinTileLayer over a quadbinTableSource binning a table's points into cells, with only apiBaseUrl pointing at the
// platform. The test calls window.drawTable or window.drawQuadbin and reads what it resolves to.
import { Deck } from '@deck.gl/core';
import { QuadbinTileLayer, VectorTileLayer } from '@deck.gl/carto';
import { quadbinTableSource, vectorTableSource } from '@carto/api-client';
import { MVTLoader } from '@loaders.gl/mvt';

const fill = [220, 20, 60];

window.drawTable = ({ apiBaseUrl, accessToken, tableName, probes }) => draw(probes, (errors, onViewportLoad) => new VectorTileLayer({
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

window.drawQuadbin = ({ apiBaseUrl, accessToken, tableName, probes }) => draw(probes, (errors, onViewportLoad) => new QuadbinTileLayer({
  id: 'quadbin',
  data: source(quadbinTableSource({
    apiBaseUrl, accessToken, connectionName: 'carto_dw', tableName,
    // A geometry column: the platform bins its points into cells as it makes each tile.
    spatialDataColumn: 'geom',
    aggregationExp: 'count(*) AS count',
  }), errors),
  getFillColor: fill,
  // The spatial tiles' loader runs on the main thread too (its worker would come from a CDN).
  loadOptions: { worker: false },
  onTileError: (error) => errors.push(`tile: ${error?.message ?? error}`),
  onViewportLoad,
}));

function source(promise, errors) {
  promise.catch((error) => errors.push(`source: ${error.message}`));
  return promise;
}

// One layer over the world at zoom 1, measured once its viewport's tiles are drawn.
function draw(probes, makeLayer) {
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
          requestAnimationFrame(() => requestAnimationFrame(() => resolve(measure(deck, tiles, errors, probes))));
        }),
      ],
      onError: (error) => errors.push(`deck: ${error.message}`),
    });
  });
}

// What was drawn: the points the viewport's tiles hold, and the pixels of the layer's colour, over the whole canvas and
// around each probe (a longitude and latitude).
function measure(deck, tiles, errors, probes) {
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
    return pixels[i + 3] > 0 && Math.abs(pixels[i] - fill[0]) < 40 && pixels[i + 1] < 80 && pixels[i + 2] < 120;
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
    const half = Math.round(20 * ratio);
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
