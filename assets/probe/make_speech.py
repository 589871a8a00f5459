#!/usr/bin/env python3
"""Regenerate assets/probe/speech_16k.wav (VAD / audio probe for bitlens).

Requires: espeak-ng on PATH (Debian: `apt-get install -y espeak-ng`) and
python3 standard library only (subprocess, wave, array, math, tempfile).

Steps:
  1. synthesise each phrase with
       espeak-ng -v en-us -s 150 -w <tmp>/partN.wav "<phrase>"
     (espeak-ng writes mono 16-bit PCM at 22050 Hz);
  2. trim espeak's own leading/trailing near-silence (|x| <= 64);
  3. resample 22050 -> 16000 Hz: 63-tap Hann-windowed-sinc low-pass at
     7000 Hz (anti-aliasing), then linear interpolation;
  4. concatenate with exact digital silence (zeros): 0.5 s at start,
     0.8 s between phrases, 0.5 s at end;
  5. write mono 16-bit PCM WAV at 16000 Hz and print the phrase layout.

Usage: python3 make_speech.py [output.wav]
"""
import array
import math
import os
import subprocess
import sys
import tempfile
import wave

PHRASES = [
    "One byte holds eight bits.",
    "Quantization rounds each weight.",
    "Four bits are small but noisy.",
    "The error is under one percent.",
]
VOICE = "en-us"
SPEED = "150"
OUT_RATE = 16000
LEAD_S = 0.5
GAP_S = 0.8
TAIL_S = 0.5
TRIM_THRESHOLD = 64
CUTOFF_HZ = 7000.0
TAPS = 63


def read_wav(path):
    with wave.open(path, "rb") as w:
        assert w.getnchannels() == 1 and w.getsampwidth() == 2, path
        rate = w.getframerate()
        data = array.array("h")
        data.frombytes(w.readframes(w.getnframes()))
    if sys.byteorder == "big":
        data.byteswap()
    return rate, [float(x) for x in data]


def trim(x, thr=TRIM_THRESHOLD):
    idx = [i for i, v in enumerate(x) if abs(v) > thr]
    if not idx:
        return []
    return x[idx[0]: idx[-1] + 1]


def lowpass(x, rate, cutoff=CUTOFF_HZ, taps=TAPS):
    fc = cutoff / rate
    m = taps - 1
    h = []
    for n in range(taps):
        k = n - m / 2
        s = 2 * fc if k == 0 else math.sin(2 * math.pi * fc * k) / (math.pi * k)
        h.append(s * (0.5 - 0.5 * math.cos(2 * math.pi * n / m)))
    g = sum(h)
    h = [c / g for c in h]
    half = m // 2
    n_x = len(x)
    y = [0.0] * n_x
    for i in range(n_x):
        acc = 0.0
        lo = max(0, i - half)
        hi = min(n_x - 1, i + half)
        for j in range(lo, hi + 1):
            acc += h[j - i + half] * x[j]
        y[i] = acc
    return y


def resample_linear(x, src, dst):
    n_out = int(len(x) * dst / src)
    y = []
    step = src / dst
    last = len(x) - 1
    for i in range(n_out):
        t = i * step
        j = int(t)
        f = t - j
        a = x[j]
        b = x[j + 1] if j < last else x[j]
        y.append(a + (b - a) * f)
    return y


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "speech_16k.wav")
    samples = [0] * int(LEAD_S * OUT_RATE)
    layout = []
    with tempfile.TemporaryDirectory() as tmp:
        for i, text in enumerate(PHRASES):
            part = os.path.join(tmp, "part%d.wav" % i)
            cmd = ["espeak-ng", "-v", VOICE, "-s", SPEED, "-w", part, text]
            subprocess.run(cmd, check=True)
            rate, x = read_wav(part)
            x = trim(x)
            if rate != OUT_RATE:
                x = resample_linear(lowpass(x, rate), rate, OUT_RATE)
            if i > 0:
                samples += [0] * int(GAP_S * OUT_RATE)
            start = len(samples)
            samples += [max(-32768, min(32767, int(round(v)))) for v in x]
            layout.append((start / OUT_RATE, len(samples) / OUT_RATE, text))
    samples += [0] * int(TAIL_S * OUT_RATE)
    data = array.array("h", samples)
    if sys.byteorder == "big":
        data.byteswap()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(OUT_RATE)
        w.writeframes(data.tobytes())
    print("wrote %s: %.3f s" % (out, len(samples) / OUT_RATE))
    for s, e, text in layout:
        print("  %6.3f - %6.3f  %s" % (s, e, text))


if __name__ == "__main__":
    main()
