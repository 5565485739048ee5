"""The ground under every app: settings readers, throttles, timing, image decoding and hashing.

Nothing here imports an app of the project, nor Django's models: any app may import it.
"""
