"""Local media work: ffmpeg (the binary imageio-ffmpeg ships), PyAV, Pillow and Piper.

One concern per module: ``runner`` (ffmpeg processes: progress, timeout, kill),
``probe`` (what a file is, and refusing bad input), ``frames`` (first / at t / last),
``looks`` + ``grade`` (colour, grain, tone mapping, sharpening), ``restore`` (denoise,
deflicker, interpolation), ``upscale``, ``timeline`` (fit to a duration, concat),
``audio`` (loudness, mux), ``storyboard``, ``export`` (social presets), ``voices`` +
``tts`` (Piper narration); ``encode``, ``filtering``, ``files``, ``tools`` and
``values`` are their shared plumbing. Long operations take an ``on_progress`` callback
(0..1); outputs are written atomically, so a failure leaves neither a half-written
output nor a temporary file.
"""
