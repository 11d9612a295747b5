using CartoSelfHosted.AppHost.Hosting;
using Google.Protobuf;

namespace CartoSelfHosted.Platform.Tests;

/// <summary>The dashboard's OTLP decoding, on an export written field by field as opentelemetry-proto numbers them.</summary>
public sealed class OtlpTraceDecoderTests
{
    private static readonly byte[] TraceId = Convert.FromHexString("0af7651916cd43dd8448eb211c80319c");
    private static readonly byte[] SpanId = Convert.FromHexString("b7ad6b7169203331");
    private static readonly byte[] ParentId = Convert.FromHexString("00f067aa0ba902b7");

    [Fact]
    public void SpansComeOutWithTheirServiceIdsTimingAndAttributes()
    {
        var start = 1_790_000_000_000_000_000UL;
        var span = Message(output =>
        {
            output.WriteTag(1, WireFormat.WireType.LengthDelimited); output.WriteBytes(ByteString.CopyFrom(TraceId));
            output.WriteTag(2, WireFormat.WireType.LengthDelimited); output.WriteBytes(ByteString.CopyFrom(SpanId));
            output.WriteTag(4, WireFormat.WireType.LengthDelimited); output.WriteBytes(ByteString.CopyFrom(ParentId));
            output.WriteTag(5, WireFormat.WireType.LengthDelimited); output.WriteString("GET /api/v3/tokens");
            output.WriteTag(6, WireFormat.WireType.Varint); output.WriteEnum(2);
            output.WriteTag(7, WireFormat.WireType.Fixed64); output.WriteFixed64(start);
            output.WriteTag(8, WireFormat.WireType.Fixed64); output.WriteFixed64(start + 12_500_000);
            output.WriteTag(9, WireFormat.WireType.LengthDelimited); output.WriteBytes(KeyValue("http.route", 1, "/api/v3/tokens"));
            output.WriteTag(9, WireFormat.WireType.LengthDelimited); output.WriteBytes(KeyValue("http.response.status_code", 3, 200L));
            output.WriteTag(15, WireFormat.WireType.LengthDelimited);
            output.WriteBytes(Message(status => { status.WriteTag(3, WireFormat.WireType.Varint); status.WriteEnum(2); }));
            output.WriteTag(16, WireFormat.WireType.Fixed32); output.WriteFixed32(1); // a field the decoder skips
        });
        var export = Message(request =>
        {
            request.WriteTag(1, WireFormat.WireType.LengthDelimited);
            request.WriteBytes(Message(resourceSpans =>
            {
                resourceSpans.WriteTag(1, WireFormat.WireType.LengthDelimited);
                resourceSpans.WriteBytes(Message(resource =>
                {
                    resource.WriteTag(1, WireFormat.WireType.LengthDelimited);
                    resource.WriteBytes(KeyValue("service.name", 1, "accounts-api"));
                }));
                resourceSpans.WriteTag(2, WireFormat.WireType.LengthDelimited);
                resourceSpans.WriteBytes(Message(scopeSpans =>
                {
                    scopeSpans.WriteTag(2, WireFormat.WireType.LengthDelimited);
                    scopeSpans.WriteBytes(span);
                }));
            }));
        });

        var decoded = Assert.Single(OtlpTraceDecoder.Decode(export.Span));

        Assert.Equal("accounts-api", decoded.Service);
        Assert.Equal("0af7651916cd43dd8448eb211c80319c", decoded.TraceId);
        Assert.Equal("b7ad6b7169203331", decoded.SpanId);
        Assert.Equal("00f067aa0ba902b7", decoded.ParentSpanId);
        Assert.Equal("GET /api/v3/tokens", decoded.Name);
        Assert.Equal(2, decoded.Kind);
        Assert.Equal(12.5, decoded.DurationMs);
        Assert.Equal(2, decoded.StatusCode);
        Assert.Equal("/api/v3/tokens", decoded.Attributes["http.route"]);
        Assert.Equal("200", decoded.Attributes["http.response.status_code"]);
    }

    [Fact]
    public void AnEmptyExportHasNoSpans() => Assert.Empty(OtlpTraceDecoder.Decode([]));

    [Fact]
    public void GarbageIsAProtocolError() =>
        Assert.Throws<InvalidProtocolBufferException>(() => OtlpTraceDecoder.Decode(new byte[] { 0x0a, 0xff, 0xff, 0xff, 0x0f }));

    private static ByteString KeyValue(string key, int anyValueField, object value) => Message(output =>
    {
        output.WriteTag(1, WireFormat.WireType.LengthDelimited);
        output.WriteString(key);
        output.WriteTag(2, WireFormat.WireType.LengthDelimited);
        output.WriteBytes(Message(any =>
        {
            if (value is string text)
            {
                any.WriteTag(anyValueField, WireFormat.WireType.LengthDelimited);
                any.WriteString(text);
            }
            else
            {
                any.WriteTag(anyValueField, WireFormat.WireType.Varint);
                any.WriteInt64((long)value);
            }
        }));
    });

    private static ByteString Message(Action<CodedOutputStream> write)
    {
        using var buffer = new MemoryStream();
        var output = new CodedOutputStream(buffer);
        write(output);
        output.Flush();
        return ByteString.CopyFrom(buffer.ToArray());
    }
}
