from kafka_graphql.server import main

main()
