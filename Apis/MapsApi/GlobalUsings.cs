global using CartoSelfHosted.MapsApi.Extensions;
