"""Local media work: ffmpeg (the binary imageio-ffmpeg ships), PyAV, Pillow and Piper.

Each module is one concern: ``runner`` (ffmpeg processes), ``probe`` (what a file is),
``frames``, ``grade``, ``upscale``, ``restore``, ``timeline``, ``audio``, ``storyboard``,
``export``, ``tts``. Long operations take an ``on_progress`` callback (0..1); outputs are
written atomically, so a failure never leaves a half-written file or a temporary one.
"""
