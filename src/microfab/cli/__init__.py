"""The command line: ``microfab demo``, ``serve``, ``network``, ``order``, ``apikey``."""
