import { Field, ObjectType } from 'type-graphql';
import { PageInfo } from './pagination';
import { Transaction } from './transaction.type';

@ObjectType()
export class TransactionEdge {
  @Field(() => String) cursor!: string;
  @Field(() => Transaction) node!: Transaction;
}

@ObjectType()
export class TransactionConnection {
  @Field(() => [TransactionEdge]) edges!: TransactionEdge[];
  @Field(() => PageInfo) pageInfo!: PageInfo;
}
