global using CartoSelfHosted.RouterHttp.Extensions;
global using CartoSelfHosted.RouterHttp.Routing;
