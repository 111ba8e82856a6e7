from latentkit.cli.main import main

main()
