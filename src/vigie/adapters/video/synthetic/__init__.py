"""Synthetic cameras for ``make demo`` and the tests: no real camera is needed anywhere.

``scene`` draws the pictures (people walking, a live clock, camera faults on demand), ``rtsp``
serves them over RTSP through Debian's gst-rtsp-server, ``mjpeg`` over HTTP, and ``onvif_sim``
answers ONVIF device/media/PTZ/events requests. Import the module you need explicitly.
"""
