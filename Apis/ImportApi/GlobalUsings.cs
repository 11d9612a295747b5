global using CartoSelfHosted.ImportApi.Apis;
global using CartoSelfHosted.ImportApi.Extensions;
