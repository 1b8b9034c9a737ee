"""Video adapters: camera ingest, recording, clips, PTZ, and the synthetic cameras used by tests.

Modules are imported explicitly (``vigie.adapters.video.<module>``) so that importing one of
them never pulls PyAV or OpenCV into a process that does not need them.
"""
