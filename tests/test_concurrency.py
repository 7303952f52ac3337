"""1,000 concurrent applies over a real socket against 500 credits (issue 3). Being written."""
