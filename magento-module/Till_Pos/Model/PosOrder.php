<?php
declare(strict_types=1);

namespace Till\Pos\Model;

use Magento\Framework\App\ResourceConnection;
use Magento\Framework\Exception\InputException;
use Magento\Framework\Phrase;
use Magento\Sales\Api\Data\OrderInterface;
use Magento\Sales\Api\OrderRepositoryInterface;
use Magento\Sales\Model\Order\Item as OrderItem;
use Till\Pos\Api\PosOrderInterface;

/**
 * `OrderRepositoryInterface::save` with configurable lines linked as checkout links them: the
 * child item gets the very parent object (`Order\Item::setParentItem`), and parents are saved
 * first, so `Order\Item::beforeSave` writes the parent's new id into `parent_item_id`.
 */
class PosOrder implements PosOrderInterface
{
    public function __construct(
        private readonly OrderRepositoryInterface $orderRepository,
        private readonly ResourceConnection $resource
    ) {
    }

    public function place(OrderInterface $entity, array $links = []): OrderInterface
    {
        $items = array_values($entity->getItems() ?? []);
        $facts = [];
        foreach ($items as $pos => $item) {
            $facts[$pos] = [
                'quote_item_id' => (int) $item->getQuoteItemId(),
                'product_type' => (string) $item->getProductType(),
            ];
        }
        $pairs = [];
        foreach ($links as $link) {
            $pairs[] = ['child' => $link->getChildQuoteItemId(), 'parent' => $link->getParentQuoteItemId()];
        }
        try {
            $plan = ItemLinks::plan($facts, $pairs);
        } catch (\InvalidArgumentException $e) {
            throw new InputException(new Phrase($e->getMessage()));
        }
        foreach ($plan['parent_of'] as $childPos => $parentPos) {
            /** @var OrderItem $child */
            $child = $items[$childPos];
            /** @var OrderItem $parent */
            $parent = $items[$parentPos];
            $child->setParentItem($parent);
            $option = $parent->getProductOption();
            $configurable = $option && $option->getExtensionAttributes()
                ? (array) $option->getExtensionAttributes()->getConfigurableItemOptions()
                : [];
            $options = [];
            foreach ($configurable as $chosen) {
                $options[] = ['option_id' => $chosen->getOptionId(), 'option_value' => $chosen->getOptionValue()];
            }
            $parent->setProductOptions(array_merge(
                (array) $parent->getProductOptions(),
                ItemLinks::productOptions(
                    $options,
                    (float) $parent->getQtyOrdered(),
                    (string) $child->getSku(),
                    (string) $child->getName()
                )
            ));
        }
        $entity->setItems(array_map(static fn (int $pos) => $items[$pos], $plan['order']));
        $connection = $this->resource->getConnection('sales');
        $connection->beginTransaction();
        try {
            $saved = $this->orderRepository->save($entity);
            $connection->commit();
        } catch (\Throwable $e) {
            $connection->rollBack();
            throw $e;
        }
        return $saved;
    }
}
