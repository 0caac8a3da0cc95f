from kafka_graphql.cli import main

main()
