// Drives @carto/api-client, exactly as a CARTO application does, against the platform: only apiBaseUrl differs.
// Prints one JSON line with what it saw; MapsApiTests checks it. Exits non-zero on any error.
import {vectorTableSource, vectorQuerySource} from '@carto/api-client';
import {featuresOf} from './tiles.mjs';

const {CARTO_API_BASE_URL: apiBaseUrl, CARTO_TOKEN: accessToken, CARTO_TABLE: tableName} = process.env;
const connectionName = 'carto_dw';

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
// Widgets, through the sources' widgetSource: as a dashboard asks for them, filters of the source included.
const widgets = table.widgetSource;
const iberia = {type: 'Polygon', coordinates: [[[-10, 36], [4, 36], [4, 44], [-10, 44], [-10, 36]]]};
const filtered = await vectorTableSource({
  apiBaseUrl, accessToken, connectionName, tableName, filters: {name: {in: {values: ['Lisbon', 'Quito']}}},
});
let badColumn = null;
try {
  await widgets.getFormula({column: 'no_such_column', operation: 'sum'});
} catch (error) {
  badColumn = {name: error.name, message: error.message};
}
const widgetAnswers = {
  formula: await widgets.getFormula({column: 'population', operation: 'sum'}),
  custom: await widgets.getFormula({operation: 'custom', operationExp: 'max(population) - min(population)'}),
  categories: await widgets.getCategories({column: 'name', operation: 'sum', operationColumn: 'population', othersThreshold: 1}),
  histogram: await widgets.getHistogram({column: 'population', ticks: [1000000, 3000000], operation: 'count'}),
  range: await widgets.getRange({column: 'population'}),
  table: await widgets.getTable({columns: ['name', 'population'], sortBy: 'population', sortDirection: 'desc', limit: 2}),
  inIberia: await widgets.getFormula({column: '*', operation: 'count', spatialFilter: iberia}),
  filtered: await filtered.widgetSource.getFormula({column: 'population', operation: 'sum'}),
  // The Stats API, as getExtent asks it (through the HTTP cache, like the widgets).
  extent: await filtered.widgetSource.getExtent(),
  badColumn,
};
// Picking, as an app does on a click: the ids of features in a tile, then their rows (Quito first, as asked).
const z0 = await featuresOf(table, 0, 0, 0);
const idOf = (name) => z0.find((feature) => feature.properties.name === name).properties._carto_feature_id;
widgetAnswers.picked = await widgets.getFeatures({
  featureIds: [idOf('Quito'), idOf('Lisbon')], columns: ['name', 'population', '_carto_feature_id'], dataType: 'points', z: 0,
});
// Labels: polygons (a degree around each city) of a source with prepareLabels carry the bbox of the whole.
const labelled = await vectorQuerySource({
  apiBaseUrl, accessToken, connectionName, prepareLabels: true,
  sqlQuery: `SELECT name, ST_Buffer(geom, 1) AS geom FROM ${tableName}`,
});
console.log(JSON.stringify({
  table: {...summary(table), z0},
  labelled: {z0: await featuresOf(labelled, 0, 0, 0)},
  query: {...summary(query), z0: await featuresOf(query, 0, 0, 0)},
  missing,
  widgets: widgetAnswers,
}));
