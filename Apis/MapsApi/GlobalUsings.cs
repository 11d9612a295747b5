global using CartoSelfHosted.MapsApi.Extensions;
global using CartoSelfHosted.MapsApi.Apis;
