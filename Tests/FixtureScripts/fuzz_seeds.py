"""Seed corpora of the fuzz targets (Tests/Fuzz/corpus/<target>/): small valid inputs, so
libFuzzer starts from the formats' real structure. Plain Python plus ffmpeg (for the MJPEG AVI
and JPEG seeds); run by ./build.sh fixtures."""
import json, math, os, struct, subprocess, tempfile

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Fuzz", "corpus")


def put(target, name, data):
    os.makedirs(os.path.join(ROOT, target), exist_ok=True)
    with open(os.path.join(ROOT, target, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


def wav(fmt, bits, channels, rate, data):
    block = channels * bits // 8
    fmt_chunk = struct.pack("<HHIIHH", fmt, channels, rate, rate * block, block, bits)
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt_chunk)) + fmt_chunk + b"data" + struct.pack("<I", len(data)) + data
    return b"RIFF" + struct.pack("<I", len(body)) + body


put("wav", "int16-mono.wav", wav(1, 16, 1, 16000, struct.pack("<8h", *[int(1000 * math.sin(i)) for i in range(8)])))
put("wav", "float32-stereo.wav", wav(3, 32, 2, 48000, struct.pack("<8f", *[0.1 * i for i in range(8)])))
put("wav", "int24-mono.wav", wav(1, 24, 1, 8000, bytes(range(12))))


def safetensors(tensors, metadata):
    header, blob = {"__metadata__": metadata}, b""
    for name, (dtype, shape, raw) in tensors.items():
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [len(blob), len(blob) + len(raw)]}
        blob += raw
    text = json.dumps(header).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    return struct.pack("<Q", len(text)) + text + blob


put("safetensors", "two-tensors.safetensors", safetensors(
    {"w": ("F32", [2, 2], struct.pack("<4f", 1, 2, 3, 4)), "step": ("I64", [1], struct.pack("<q", 7))}, {"format": "pt"}))
put("safetensors", "f16-empty.safetensors", safetensors({"h": ("F16", [2], b"\x00\x3c\x00\x40"), "e": ("F32", [0], b"")}, {}))

# MJPEG AVI and JPEG (gray and colour), tiny, made by ffmpeg.
with tempfile.TemporaryDirectory() as tmp:
    def ffmpeg(*args):
        subprocess.run(["ffmpeg", "-v", "error", "-y", *args], check=True)
    ffmpeg("-f", "lavfi", "-i", "testsrc=size=16x16:rate=5", "-frames:v", "2", "-pix_fmt", "gray", "-c:v", "mjpeg", f"{tmp}/gray.avi")
    ffmpeg("-f", "lavfi", "-i", "testsrc=size=16x8:rate=30", "-frames:v", "1", "-c:v", "mjpeg", f"{tmp}/colour.avi")
    ffmpeg("-f", "lavfi", "-i", "testsrc=size=8x8", "-frames:v", "1", "-pix_fmt", "gray", f"{tmp}/gray.jpg")
    ffmpeg("-f", "lavfi", "-i", "testsrc=size=16x16", "-frames:v", "1", f"{tmp}/colour.jpg")
    for name in ["gray.avi", "colour.avi"]:
        put("avi", name, open(f"{tmp}/{name}", "rb").read())
    for name in ["gray.jpg", "colour.jpg"]:
        put("jpeg", name, open(f"{tmp}/{name}", "rb").read())

put("webvtt", "two-cues.vtt", "WEBVTT\n\n1\n00:00:02.166 --> 00:00:02.432\n<v sonographer>upper</v>\n\n2\n00:01:02.432 --> 00:01:02.672\n<v patient>lip is fine</v>\n")
put("webvtt", "no-speaker.vtt", "WEBVTT\n\n00:00.000 --> 00:01.500\nhello\n")

put("labels", "two-frames.jsonl",
    '{"anatomy":[],"frame":0,"frozen":false,"gaze":{"fixation":true,"x":289.3,"y":313.5},"holding":false,"plane":"background","time":0}\n'
    '{"anatomy":[{"name":"spine","polygon":[[1,2],[30,4],[12,40]]}],"frame":1,"frozen":true,"gaze":null,"holding":true,"plane":"spine","time":0.0333}\n')

for name, line in [("status", "status"), ("snapshot", "snapshot /var/lib/showtell/s.png"), ("record", "record start /tmp/r.avi"),
                   ("reply", '{"ok":true,"command":"record start","result":"recording /tmp/r.avi"}'), ("error", '{"ok":false,"error":"unknown command"}')]:
    put("control", name, line + "\n")
