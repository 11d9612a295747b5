// Opens a saved public map as a public web page does: fetchMap({cartoMapId, apiBaseUrl}) of @carto/api-client, with no
// token. Prints one JSON line with what it saw — each layer's TileJSON and how many features its z0 tile decodes to, the
// requests the client made, and whether the map's token instantiates a table the map does not use (CARTO_OTHER_TABLE).
// PublicMapsTests checks it. Exits non-zero on an unexpected error.
import {fetchMap, vectorTableSource} from '@carto/api-client';
import {VectorTile} from '@mapbox/vector-tile';
import Protobuf from 'pbf';
import {refusal} from './refusal.mjs';

const {CARTO_API_BASE_URL: apiBaseUrl, CARTO_MAP_ID: cartoMapId, CARTO_OTHER_TABLE: otherTable} = process.env;

// Every request the client makes, by path and whether it carried a token.
const requests = [];
const realFetch = globalThis.fetch;
globalThis.fetch = (input, init) => {
  const url = new URL(typeof input === 'string' ? input : input.url);
  const headers = new Headers(init?.headers);
  requests.push({path: url.pathname, authorized: headers.has('Authorization')});
  return realFetch(input, init);
};

async function tileFeatureCount(tilejson) {
  const url = tilejson.tiles[0].replace('{z}', 0).replace('{x}', 0).replace('{y}', 0);
  const response = await realFetch(url, {headers: {Authorization: `Bearer ${tilejson.accessToken}`}});
  if (!response.ok) throw new Error(`tile ${url}: ${response.status} ${await response.text()}`);
  const layers = new VectorTile(new Protobuf(new Uint8Array(await response.arrayBuffer()))).layers;
  return Object.values(layers).reduce((count, layer) => count + layer.length, 0);
}

const map = await fetchMap({cartoMapId, apiBaseUrl});
const layers = [];
for (const layer of map.layers) {
  if (!layer) {
    layers.push(null);
    continue;
  }
  const tilejson = layer.props.data;
  layers.push({
    id: layer.props.id,
    type: layer.type,
    tilejson: tilejson.tilejson,
    tiles: tilejson.tiles,
    z0: await tileFeatureCount(tilejson),
    fillColorDomain: layer.scales.fillColor?.domain ?? null,
  });
}
console.log(JSON.stringify({
  title: map.title,
  tokenGiven: typeof map.token === 'string' && map.token.length > 0,
  layers,
  requests,
  otherTable: await refusal(() => vectorTableSource({apiBaseUrl, accessToken: map.token, connectionName: 'carto_dw', tableName: otherTable})),
}));
