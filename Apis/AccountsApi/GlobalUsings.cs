global using CartoSelfHosted.AccountsApi.Apis;
global using CartoSelfHosted.AccountsApi.Extensions;
