"""The experiments' shared recipes: each config (the paper's setup as defaults) and how its
data is loaded and its model trained once.  The scripts in experiments/ only wire these up."""
