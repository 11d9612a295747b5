// Drives @carto/api-client with an API access token granted one table (CARTO_TABLE) and nothing else, as a public web
// app holds one. Prints one JSON line with what it saw; MapsApiTests checks it. Exits non-zero on an unexpected error.
import {vectorTableSource, vectorQuerySource, query} from '@carto/api-client';
import {featuresOf} from './tiles.mjs';
import {refusal} from './refusal.mjs';

const {CARTO_API_BASE_URL: apiBaseUrl, CARTO_TOKEN: accessToken, CARTO_TABLE: tableName, CARTO_OTHER_TABLE: otherTable} = process.env;
const connectionName = 'carto_dw';

const granted = await vectorTableSource({apiBaseUrl, accessToken, connectionName, tableName});
const formula = await granted.widgetSource.getFormula({column: '*', operation: 'count'});
console.log(JSON.stringify({
  granted: {count: granted.tilestats.layers[0].count, z0: (await featuresOf(granted, 0, 0, 0)).length, formula: formula.value},
  otherTable: await refusal(() => vectorTableSource({apiBaseUrl, accessToken, connectionName, tableName: otherTable})),
  querySource: await refusal(() => vectorQuerySource({apiBaseUrl, accessToken, connectionName, sqlQuery: `SELECT * FROM ${tableName}`})),
  sql: await refusal(() => query({apiBaseUrl, accessToken, connectionName, sqlQuery: `SELECT count(*) FROM ${tableName}`})),
}));
