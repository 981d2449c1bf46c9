"""umot serve: the community manager's workspace in a browser."""
