// Drives @carto/api-client, exactly as a CARTO application does, against the platform: only apiBaseUrl differs.
// Prints one JSON line with what it saw; MapsApiTests checks it. Exits non-zero on any error.
import {vectorTableSource, vectorQuerySource} from '@carto/api-client';
import {VectorTile} from '@mapbox/vector-tile';
import Protobuf from 'pbf';

const {CARTO_API_BASE_URL: apiBaseUrl, CARTO_TOKEN: accessToken, CARTO_TABLE: tableName} = process.env;
const connectionName = 'carto_dw';

async function featuresOf(source, z, x, y) {
  const url = source.tiles[0].replace('{z}', z).replace('{x}', x).replace('{y}', y);
  const response = await fetch(url, {headers: {Authorization: `Bearer ${source.accessToken}`}});
  if (response.status === 204) return [];
  if (!response.ok) throw new Error(`tile ${url}: ${response.status} ${await response.text()}`);
  const tile = new VectorTile(new Protobuf(new Uint8Array(await response.arrayBuffer())));
  const layer = tile.layers['default'];
  const features = [];
  for (let i = 0; i < layer.length; i++) {
    const feature = layer.feature(i);
    features.push({type: feature.type, properties: feature.properties, lngLat: feature.toGeoJSON(x, y, z).geometry.coordinates});
  }
  return features;
}

function summary(source) {
  return {
    tilejson: source.tilejson,
    tiles: source.tiles,
    bounds: source.bounds,
    schema: source.schema,
    fields: source.vector_layers[0].fields,
    count: source.tilestats.layers[0].count,
    accessTokenPassed: source.accessToken === accessToken,
  };
}

const table = await vectorTableSource({apiBaseUrl, accessToken, connectionName, tableName, columns: ['name', 'population']});
const query = await vectorQuerySource({
  apiBaseUrl, accessToken, connectionName,
  sqlQuery: `SELECT name, population, geom FROM ${tableName} WHERE population > $1`,
  queryParameters: [1000000],
});
// A table that is not there: the client's error carries the platform's reason.
let missing = null;
try {
  await vectorTableSource({apiBaseUrl, accessToken, connectionName, tableName: 'no_such_table'});
} catch (error) {
  missing = {name: error.name, message: error.message};
}
console.log(JSON.stringify({
  table: {...summary(table), z0: await featuresOf(table, 0, 0, 0)},
  query: {...summary(query), z0: await featuresOf(query, 0, 0, 0)},
  missing,
}));
