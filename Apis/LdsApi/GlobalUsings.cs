global using CartoSelfHosted.LdsApi.Extensions;
