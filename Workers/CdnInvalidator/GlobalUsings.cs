global using CartoSelfHosted.CdnInvalidator.Extensions;
