global using CartoSelfHosted.SqlWorker.Extensions;
