"""The Jobo Enterprise API vendor (seed 004): jobs search and feed, companies, geocoding, wallet."""
