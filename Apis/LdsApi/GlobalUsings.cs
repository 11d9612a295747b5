global using CartoSelfHosted.LdsApi.Apis;
global using CartoSelfHosted.LdsApi.Extensions;
