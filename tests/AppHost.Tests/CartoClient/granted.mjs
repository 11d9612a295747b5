// Drives @carto/api-client with an API access token granted one table (CARTO_TABLE) and nothing else, as a public web
// app holds one. Prints one JSON line with what it saw; MapsApiTests checks it. Exits non-zero on an unexpected error.
import {vectorTableSource, vectorQuerySource, query} from '@carto/api-client';
import {VectorTile} from '@mapbox/vector-tile';
import Protobuf from 'pbf';
import {refusal} from './refusal.mjs';

const {CARTO_API_BASE_URL: apiBaseUrl, CARTO_TOKEN: accessToken, CARTO_TABLE: tableName, CARTO_OTHER_TABLE: otherTable} = process.env;
const connectionName = 'carto_dw';

async function tileFeatureCount(source) {
  const url = source.tiles[0].replace('{z}', 0).replace('{x}', 0).replace('{y}', 0);
  const response = await fetch(url, {headers: {Authorization: `Bearer ${source.accessToken}`}});
  if (!response.ok) throw new Error(`tile ${url}: ${response.status} ${await response.text()}`);
  return new VectorTile(new Protobuf(new Uint8Array(await response.arrayBuffer()))).layers['default'].length;
}

const granted = await vectorTableSource({apiBaseUrl, accessToken, connectionName, tableName});
const formula = await granted.widgetSource.getFormula({column: '*', operation: 'count'});
console.log(JSON.stringify({
  granted: {count: granted.tilestats.layers[0].count, z0: await tileFeatureCount(granted), formula: formula.value},
  otherTable: await refusal(() => vectorTableSource({apiBaseUrl, accessToken, connectionName, tableName: otherTable})),
  querySource: await refusal(() => vectorQuerySource({apiBaseUrl, accessToken, connectionName, sqlQuery: `SELECT * FROM ${tableName}`})),
  sql: await refusal(() => query({apiBaseUrl, accessToken, connectionName, sqlQuery: `SELECT count(*) FROM ${tableName}`})),
}));
