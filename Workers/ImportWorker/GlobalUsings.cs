global using CartoSelfHosted.ImportWorker.Extensions;
