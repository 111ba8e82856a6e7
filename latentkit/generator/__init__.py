"""The generator concept: finding and loading models, the contract, inference copies, the Models
handle every analysis uses."""
