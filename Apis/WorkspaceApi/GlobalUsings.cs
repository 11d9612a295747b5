global using CartoSelfHosted.WorkspaceApi.Apis;
global using CartoSelfHosted.WorkspaceApi.Extensions;
