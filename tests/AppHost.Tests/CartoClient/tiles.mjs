// A tile of a source @carto/api-client instantiated, fetched with the source's token and decoded as deck.gl would.
import {VectorTile} from '@mapbox/vector-tile';
import Protobuf from 'pbf';

// The features of tile z/x/y (none for a 204): their geometry type, properties and coordinates in degrees.
export async function featuresOf(source, z, x, y) {
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
