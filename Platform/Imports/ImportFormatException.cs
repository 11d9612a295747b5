namespace CartoSelfHosted.Platform.Imports;

/// <summary>
/// The file cannot be imported as it is. <see cref="Exception.Message"/> is for the person who uploaded it: what is
/// wrong and where (<see cref="Location"/>, such as <c>line 12</c> or <c>feature 7</c>, when there is one).
/// </summary>
public sealed class ImportFormatException(string problem, string? location = null, Exception? inner = null)
    : Exception(location is null ? problem : $"{location}: {problem}", inner)
{
    public string Problem { get; } = problem;

    public string? Location { get; } = location;
}
