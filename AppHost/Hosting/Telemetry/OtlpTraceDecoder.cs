using Google.Protobuf;

namespace CartoSelfHosted.AppHost.Hosting;

/// <summary>One span as the dashboard shows it.</summary>
public sealed record SpanRecord(
    string Service, string TraceId, string SpanId, string? ParentSpanId, string Name, int Kind, DateTimeOffset Start,
    double DurationMs, int StatusCode, IReadOnlyDictionary<string, string> Attributes);

/// <summary>
/// Reads OTLP/HTTP trace exports (an <c>ExportTraceServiceRequest</c> in protobuf) by field number, as
/// opentelemetry-proto defines them: the generated OTLP classes are not on the registry, and the dashboard needs
/// only a few fields.
/// </summary>
public static class OtlpTraceDecoder
{
    private const int MaxAttributes = 24;

    public static List<SpanRecord> Decode(ReadOnlySpan<byte> exportTraceServiceRequest)
    {
        var spans = new List<SpanRecord>();
        foreach (var resourceSpans in Messages(ByteString.CopyFrom(exportTraceServiceRequest), field: 1))
        {
            var service = "unknown";
            foreach (var (field, value) in Fields(resourceSpans))
            {
                if (field == 1)
                {
                    var attributes = Attributes(Messages(value, field: 1));
                    service = attributes.GetValueOrDefault("service.name", service);
                }
            }
            foreach (var scopeSpans in Messages(resourceSpans, field: 2))
            {
                foreach (var span in Messages(scopeSpans, field: 2))
                {
                    spans.Add(DecodeSpan(service, span));
                }
            }
        }
        return spans;
    }

    private static SpanRecord DecodeSpan(string service, ByteString span)
    {
        string traceId = "", spanId = "", name = "";
        string? parent = null;
        int kind = 0, statusCode = 0;
        ulong start = 0, end = 0;
        var attributes = new List<ByteString>();
        var input = span.CreateCodedInput();
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 1: traceId = Convert.ToHexStringLower(input.ReadBytes().Span); break;
                case 2: spanId = Convert.ToHexStringLower(input.ReadBytes().Span); break;
                case 4:
                    var parentBytes = input.ReadBytes();
                    parent = parentBytes.IsEmpty ? null : Convert.ToHexStringLower(parentBytes.Span);
                    break;
                case 5: name = input.ReadString(); break;
                case 6: kind = input.ReadEnum(); break;
                case 7: start = input.ReadFixed64(); break;
                case 8: end = input.ReadFixed64(); break;
                case 9: attributes.Add(input.ReadBytes()); break;
                case 15: statusCode = StatusCode(input.ReadBytes()); break;
                default: input.SkipLastField(); break;
            }
        }
        return new SpanRecord(service, traceId, spanId, parent, name, kind,
            DateTimeOffset.FromUnixTimeMilliseconds((long)(start / 1_000_000)), (end - start) / 1_000_000.0, statusCode,
            Attributes(attributes));
    }

    /// <summary>Status.code (field 3, an enum): 0 unset, 1 ok, 2 error.</summary>
    private static int StatusCode(ByteString status)
    {
        var input = status.CreateCodedInput();
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            if (WireFormat.GetTagFieldNumber(tag) == 3)
            {
                return input.ReadEnum();
            }
            input.SkipLastField();
        }
        return 0;
    }

    /// <summary>KeyValue messages (key = 1, AnyValue value = 2) whose value is a scalar, as text.</summary>
    private static Dictionary<string, string> Attributes(IEnumerable<ByteString> keyValues)
    {
        var attributes = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var keyValue in keyValues.Take(MaxAttributes))
        {
            string? key = null, value = null;
            var input = keyValue.CreateCodedInput();
            uint tag;
            while ((tag = input.ReadTag()) != 0)
            {
                switch (WireFormat.GetTagFieldNumber(tag))
                {
                    case 1: key = input.ReadString(); break;
                    case 2: value = AnyValueText(input.ReadBytes()); break;
                    default: input.SkipLastField(); break;
                }
            }
            if (key is not null && value is not null)
            {
                attributes[key] = value;
            }
        }
        return attributes;
    }

    private static string? AnyValueText(ByteString anyValue)
    {
        var input = anyValue.CreateCodedInput();
        var tag = input.ReadTag();
        return WireFormat.GetTagFieldNumber(tag) switch
        {
            1 => input.ReadString(),
            2 => input.ReadBool() ? "true" : "false",
            3 => input.ReadInt64().ToString(System.Globalization.CultureInfo.InvariantCulture),
            4 => input.ReadDouble().ToString(System.Globalization.CultureInfo.InvariantCulture),
            _ => null,
        };
    }

    /// <summary>The embedded messages stored in one repeated field of a message.</summary>
    private static IEnumerable<ByteString> Messages(ByteString message, int field) =>
        Fields(message).Where(entry => entry.Field == field).Select(entry => entry.Value);

    /// <summary>The length-delimited fields of a message (others are skipped), in order.</summary>
    private static List<(int Field, ByteString Value)> Fields(ByteString message)
    {
        var fields = new List<(int, ByteString)>();
        var input = message.CreateCodedInput();
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            if (WireFormat.GetTagWireType(tag) == WireFormat.WireType.LengthDelimited)
            {
                fields.Add((WireFormat.GetTagFieldNumber(tag), input.ReadBytes()));
            }
            else
            {
                input.SkipLastField();
            }
        }
        return fields;
    }
}
