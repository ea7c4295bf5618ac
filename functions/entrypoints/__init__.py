"""HTTP entry points: parse, authorize, call one service, map errors."""
