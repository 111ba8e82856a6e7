"""Pages served or written for the browser: map.html and the explore app."""
