// Drives @carto/api-client against a connection users added (CARTO_CONNECTION): its table CARTO_TABLE becomes a
// vector source whose tiles decode and whose widgets answer, and the SQL API reads its rows. Prints one JSON line with
// what it saw; MapsApiTests checks it. Exits non-zero on any error.
import {vectorTableSource, query} from '@carto/api-client';
import {featuresOf} from './tiles.mjs';

const {CARTO_API_BASE_URL: apiBaseUrl, CARTO_TOKEN: accessToken, CARTO_CONNECTION: connectionName, CARTO_TABLE: tableName} = process.env;

const source = await vectorTableSource({apiBaseUrl, accessToken, connectionName, tableName});
const sum = await source.widgetSource.getFormula({column: 'area_ha', operation: 'sum'});
const rows = await query({apiBaseUrl, accessToken, connectionName, sqlQuery: `SELECT name FROM ${tableName} ORDER BY name`});
console.log(JSON.stringify({
  tiles: source.tiles,
  count: source.tilestats.layers[0].count,
  z0: (await featuresOf(source, 0, 0, 0)).map(feature => feature.properties.name).sort(),
  sum: sum.value,
  rows: rows.rows.map(row => row.name),
}));
