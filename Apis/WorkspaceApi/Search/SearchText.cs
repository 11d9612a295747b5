using System.Globalization;
using System.Text;

namespace CartoSelfHosted.WorkspaceApi.Search;

/// <summary>
/// What a person typed into the search box, as a PostgreSQL <c>tsquery</c>: its words, each required, the last one a prefix
/// (so that "roa" finds <c>road_segments</c> as it is typed). A word is a run of letters, digits and the marks that go with
/// them; everything else separates words — tsquery's own syntax (<c>&amp; | ! &lt;-&gt; ( ) : * '</c> and <c>\</c>) among it,
/// so the query says only what the words say, whatever was typed. The result is bound as a parameter, never pasted into SQL.
/// </summary>
public static class SearchText
{
    /// <summary>The longest text taken, in characters: search-box input, not documents.</summary>
    public const int MaxLength = 200;

    /// <summary>The most words taken: each one more is an index lookup and a condition on every hit.</summary>
    public const int MaxWords = 16;

    /// <summary>The words of <paramref name="text"/>, in the order typed.</summary>
    public static IReadOnlyList<string> Words(string text)
    {
        var words = new List<string>();
        var word = new StringBuilder();
        // Composed first: "é" typed as e + combining acute is the same word as "é".
        foreach (var rune in text.Normalize(NormalizationForm.FormC).EnumerateRunes())
        {
            if (Rune.IsLetterOrDigit(rune) || Rune.GetUnicodeCategory(rune) is UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark)
            {
                word.Append(rune.ToString());
            }
            else if (word.Length > 0)
            {
                words.Add(word.ToString());
                word.Clear();
            }
        }
        if (word.Length > 0)
        {
            words.Add(word.ToString());
        }
        return words;
    }

    /// <summary><c>w1 &amp; w2 &amp; … &amp; wn:*</c>, for <c>to_tsquery</c>: every word, the last one as a prefix.</summary>
    public static string ToTsQuery(IReadOnlyList<string> words) => string.Join(" & ", words) + ":*";
}
